import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseWorkspacePath, resolveExisting, resolveParent } from './workspace-path.js';

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

describe('resolving through symlinks', () => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'coditect-paths-'));
  const root = path.join(base, 'root');
  const outside = path.join(base, 'outside');
  fs.mkdirSync(path.join(root, 'in'), { recursive: true });
  fs.mkdirSync(outside);
  fs.writeFileSync(path.join(root, 'in/f.txt'), 'x');
  fs.symlinkSync(outside, path.join(root, 'out'));
  fs.symlinkSync('in', path.join(root, 'alias'));
  fs.symlinkSync('loop', path.join(root, 'loop'));
  afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

  it('follows links that stay inside and refuses those that leave', async () => {
    expect(await resolveExisting(root, ['alias', 'f.txt'])).toBe(path.join(fs.realpathSync(root), 'in/f.txt'));
    await expect(resolveExisting(root, ['out'])).rejects.toMatchObject({ code: 'invalid_path' });
    await expect(resolveParent(root, ['out', 'new.txt'])).rejects.toMatchObject({ code: 'invalid_path' });
    await expect(resolveParent(root, ['out', 'deep', 'new.txt'], { create: true })).rejects.toMatchObject({ code: 'invalid_path' });
    expect(fs.readdirSync(outside)).toEqual([]);
    await expect(resolveExisting(root, ['loop'])).rejects.toMatchObject({ code: 'invalid_path' });
    await expect(resolveExisting(root, ['missing'])).rejects.toMatchObject({ code: 'not_found' });
  });
});
