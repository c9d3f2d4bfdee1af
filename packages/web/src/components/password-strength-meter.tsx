import { Group, Progress, Text } from '@mantine/core';
import { passwordStrength, usePasswordVerdict } from '../forms/password-strength';

/**
 * Strength under a new-password field. It runs the API's own check (zxcvbn-ts with common
 * passwords, the person's name and email), so "Too weak" here is exactly what the API refuses.
 */
export function PasswordStrengthMeter({ password, id, userInputs = [] }: { password: string; id: string; userInputs?: readonly string[] }) {
  const s = passwordStrength(password, usePasswordVerdict(password, userInputs));
  return (
    <div id={id} aria-live="polite">
      <Progress value={(s.score / 4) * 100} color={s.color} size="xs" mt={6} aria-hidden />
      <Group justify="space-between" mt={4} wrap="nowrap" align="flex-start">
        <Text size="xs" c="dimmed">{s.problem ?? 'Use at least 8 characters; a passphrase of 3–4 uncommon words is best.'}</Text>
        {s.label && <Text size="xs" fw={600} c={s.color} data-testid="password-strength">{s.label}</Text>}
      </Group>
    </div>
  );
}
