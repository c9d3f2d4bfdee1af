import { createContext, useContext, type ReactNode } from 'react';
import { createPortal } from 'react-dom';

/** The element in the app bar where a page may place its own controls (the IDE page's session tabs). */
export const AppBarSlotContext = createContext<HTMLElement | null>(null);

/** Renders its children in the app bar (nothing until the bar is mounted), so a page adds no row of its own. */
export function InAppBar({ children }: { children: ReactNode }) {
  const slot = useContext(AppBarSlotContext);
  return slot ? createPortal(children, slot) : null;
}
