/** Why Compare cannot run yet, in words that say what to do; null when it can. */
export function compareBlocker(available: number, selected: number, prompt: string): string | null {
  if (available === 0) return 'Add a model first: configure a provider on Models & keys.';
  if (available === 1) return 'Add a second model: Compare needs two. Configure another provider on Models & keys.';
  if (selected < 2) return 'Pick at least two models to compare.';
  if (selected > 4) return 'Pick at most four models.';
  if (!prompt.trim()) return 'Write a prompt to send to each model.';
  return null;
}
