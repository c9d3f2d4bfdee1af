import { describe, expect, it } from 'vitest';
import { parseWorkspacePath } from './workspace-path.js';

describe('parseWorkspacePath', () => {
  it('normalises harmless forms', () => {
    expect(parseWorkspacePath('a//b/./c/')).toEqual(['a', 'b', 'c']);
    expect(parseWorkspacePath('', { allowRoot: true })).toEqual([]);
    expect(parseWorkspacePath('./', { allowRoot: true })).toEqual([]);
    expect(parseWorkspacePath('%2e%2e/x')).toEqual(['%2e%2e', 'x']); // a literal name once decoded by the router
    expect(parseWorkspacePath('...')).toEqual(['...']);
  });

  it.each([
    '..', '../x', 'a/../../x', 'a/..', '/abs', '//double', 'C:/win', 'c:x', 'a\\b', '..\\x', 'a\u0000b', 'a\nb', 'a\u007fb',
    '\uD800x', 'x\uDC00', `${'a/'.repeat(513)}f`, 'n'.repeat(256), '',
  ])('rejects %j', (p) => {
    expect(() => parseWorkspacePath(p)).toThrow();
  });

  it('accepts names up to 255 bytes and paths up to 1024 bytes', () => {
    expect(parseWorkspacePath('n'.repeat(255))).toHaveLength(1);
    expect(() => parseWorkspacePath('é'.repeat(128))).toThrow(); // 256 bytes in UTF-8
    expect(parseWorkspacePath(`${'abc/'.repeat(255)}abcd`)).toHaveLength(256);
  });
});
