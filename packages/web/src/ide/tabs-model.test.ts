import { describe, expect, it } from 'vitest';
import { activateTab, closeTab, emptyTabs, moveTab, openTab, sanitizeTabs, touchRecent } from './tabs-model';

describe('tabs model', () => {
  it('opens at the end once and brings the tab to the front', () => {
    let m = openTab(emptyTabs, 'a');
    m = openTab(m, 'b');
    m = openTab(m, 'a');
    expect(m).toEqual({ open: ['a', 'b'], active: 'a' });
  });

  it('closing the front tab brings its right neighbour, else the left one, to the front', () => {
    const m = { open: ['a', 'b', 'c'], active: 'b' };
    expect(closeTab(m, 'b')).toEqual({ open: ['a', 'c'], active: 'c' });
    expect(closeTab({ open: ['a', 'b', 'c'], active: 'c' }, 'c')).toEqual({ open: ['a', 'b'], active: 'b' });
    expect(closeTab(m, 'a')).toEqual({ open: ['b', 'c'], active: 'b' });
    expect(closeTab({ open: ['a'], active: 'a' }, 'a')).toEqual({ open: [], active: null });
    expect(closeTab(m, 'zzz')).toBe(m);
  });

  it('moves a tab to a clamped position, keeping the others in order', () => {
    const m = { open: ['a', 'b', 'c', 'd'], active: 'a' };
    expect(moveTab(m, 'a', 2).open).toEqual(['b', 'c', 'a', 'd']);
    expect(moveTab(m, 'd', 0).open).toEqual(['d', 'a', 'b', 'c']);
    expect(moveTab(m, 'b', 99).open).toEqual(['a', 'c', 'd', 'b']);
    expect(moveTab(m, 'b', -5).open).toEqual(['b', 'a', 'c', 'd']);
    expect(moveTab(m, 'x', 1)).toBe(m);
  });

  it('activates only open tabs', () => {
    const m = { open: ['a', 'b'], active: 'a' };
    expect(activateTab(m, 'b').active).toBe('b');
    expect(activateTab(m, 'x')).toBe(m);
  });

  it('repairs whatever is found in storage', () => {
    expect(sanitizeTabs(null)).toEqual(emptyTabs);
    expect(sanitizeTabs({ open: ['a', 'a', 3, '', 'b'], active: 'zzz' })).toEqual({ open: ['a', 'b'], active: 'a' });
    expect(sanitizeTabs({ open: 'a', active: 'a' })).toEqual(emptyTabs);
  });

  it('keeps the most recently shown tabs first, dropping closed ones', () => {
    const open = ['a', 'b', 'c', 'd'];
    let r: string[] = [];
    for (const id of ['a', 'b', 'c', 'd', 'b']) r = touchRecent(r, id, open);
    expect(r).toEqual(['b', 'd', 'c', 'a']);
    expect(touchRecent(r, 'b', ['b', 'c'])).toEqual(['b', 'c']);
    expect(touchRecent(r, 'b', open)).toBe(r);
    expect(touchRecent(r, null, open)).toBe(r);
  });
});
