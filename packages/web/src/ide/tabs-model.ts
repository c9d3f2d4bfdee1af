/** The IDE page's open session tabs: which are open, in what order, which is in front. */
export interface TabsModel {
  open: string[];
  active: string | null;
}

export const emptyTabs: TabsModel = { open: [], active: null };

/** Opens `id` (at the end, unless already open) and brings it to the front. */
export function openTab(model: TabsModel, id: string): TabsModel {
  return { open: model.open.includes(id) ? model.open : [...model.open, id], active: id };
}

/** Closes `id`; if it was in front, its right neighbour (else left) comes to the front. */
export function closeTab(model: TabsModel, id: string): TabsModel {
  const index = model.open.indexOf(id);
  if (index === -1) return model;
  const open = model.open.filter((t) => t !== id);
  const active = model.active === id ? (open[index] ?? open[index - 1] ?? null) : model.active;
  return { open, active };
}

export function activateTab(model: TabsModel, id: string): TabsModel {
  return model.open.includes(id) ? { ...model, active: id } : model;
}

/** Moves `id` to position `to` (clamped); the others keep their order. */
export function moveTab(model: TabsModel, id: string, to: number): TabsModel {
  const from = model.open.indexOf(id);
  if (from === -1) return model;
  const target = Math.max(0, Math.min(model.open.length - 1, to));
  if (target === from) return model;
  const open = model.open.filter((t) => t !== id);
  open.splice(target, 0, id);
  return { ...model, open };
}

/** Guards against whatever an older version (or a person) left in storage. */
export function sanitizeTabs(value: unknown): TabsModel {
  const v = value as Partial<TabsModel> | null;
  const open = Array.isArray(v?.open) ? [...new Set(v.open.filter((t): t is string => typeof t === 'string' && t.length > 0))] : [];
  const active = typeof v?.active === 'string' && open.includes(v.active) ? v.active : (open[0] ?? null);
  return { open, active };
}

/** How many tabs keep their IDE loaded (hidden, not unmounted) while another is in front. */
export const LIVE_TABS = 3;

/**
 * Most recently shown first: `id` moves to the front, tabs no longer open drop out.
 * The first `LIVE_TABS` of it keep their IDE frames alive.
 */
export function touchRecent(recent: readonly string[], id: string | null, open: readonly string[]): string[] {
  const next = [...(id ? [id] : []), ...recent.filter((t) => t !== id)].filter((t) => open.includes(t));
  return next.length === recent.length && next.every((t, i) => t === recent[i]) ? (recent as string[]) : next;
}
