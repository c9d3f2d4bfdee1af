import { create } from 'zustand';
import { createJSONStorage, persist } from 'zustand/middleware';
import { activateTab, closeTab, emptyTabs, moveTab, openTab, sanitizeTabs, type TabsModel } from './tabs-model';

interface TabsState {
  /** Per user, so two accounts on one browser do not see each other's tabs. */
  byUser: Record<string, TabsModel>;
  open(userId: string, id: string): void;
  close(userId: string, id: string): void;
  activate(userId: string, id: string): void;
  move(userId: string, id: string, to: number): void;
}

/** Open tabs survive a reload: kept in localStorage (ids only — no secrets, no content). */
export const useTabs = create<TabsState>()(
  persist(
    (set) => {
      const update = (userId: string, fn: (m: TabsModel) => TabsModel) =>
        set((s) => ({ byUser: { ...s.byUser, [userId]: fn(sanitizeTabs(s.byUser[userId] ?? emptyTabs)) } }));
      return {
        byUser: {},
        open: (userId, id) => update(userId, (m) => openTab(m, id)),
        close: (userId, id) => update(userId, (m) => closeTab(m, id)),
        activate: (userId, id) => update(userId, (m) => activateTab(m, id)),
        move: (userId, id, to) => update(userId, (m) => moveTab(m, id, to)),
      };
    },
    { name: 'coditect.ide-tabs', version: 1, storage: createJSONStorage(() => localStorage) },
  ),
);

/** The tabs of one user (stable empty value when none). */
export function useUserTabs(userId: string): TabsModel {
  return useTabs((s) => s.byUser[userId] ?? emptyTabs);
}
