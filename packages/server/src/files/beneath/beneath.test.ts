import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HeldDir, NotBeneath } from './held-dir.js';
import { removeEntry, removeTree } from './remove.js';
import { openDirAt, openFileAt, openParentAt, withRoot } from './resolve.js';
import { walkTree } from './walk.js';

/** The descriptor walk on a fixed tree: every kind of link is refused or reported, never followed. */
describe('resolving below a held directory', () => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'coditect-beneath-'));
  const root = path.join(base, 'root');
  const outside = path.join(base, 'outside');
  beforeAll(() => {
    fs.mkdirSync(path.join(root, 'in/deeper'), { recursive: true });
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(outside, 'secret'), 'SECRET');
    fs.writeFileSync(path.join(root, 'in/f.txt'), 'inside');
    fs.symlinkSync(outside, path.join(root, 'out'));
    fs.symlinkSync('in', path.join(root, 'alias'));
    fs.symlinkSync('in/f.txt', path.join(root, 'file-alias'));
    fs.symlinkSync('loop', path.join(root, 'loop'));
    expect(spawnSync('mkfifo', [path.join(root, 'fifo')]).status).toBe(0);
  });
  afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

  const codeOf = (p: Promise<unknown>) => p.then(() => 'ok', (err: { code?: string }) => err.code);

  it('opens plain paths and refuses every symlink on the way, inside or out', async () => {
    await withRoot(root, async (r) => {
      const { handle, stat } = await openFileAt(r, ['in', 'f.txt']);
      expect(stat.isFile()).toBe(true);
      expect((await handle.readFile()).toString()).toBe('inside');
      await handle.close();
      expect(await codeOf(openFileAt(r, ['alias', 'f.txt']))).toBe('symlink_not_followed');
      expect(await codeOf(openFileAt(r, ['file-alias']))).toBe('symlink_not_followed');
      expect(await codeOf(openFileAt(r, ['out', 'secret']))).toBe('symlink_not_followed');
      expect(await codeOf(openFileAt(r, ['loop']))).toBe('symlink_not_followed');
      expect(await codeOf(openFileAt(r, ['missing']))).toBe('not_found');
      expect(await codeOf(openFileAt(r, ['in']))).toBe('conflict');
      expect(await codeOf(openDirAt(r, ['in', 'f.txt']))).toBe('conflict');
      expect(await codeOf(openDirAt(r, ['out']))).toBe('symlink_not_followed');
      expect(await codeOf(openParentAt(r, ['out', 'deep', 'new.txt'], { create: true }))).toBe('symlink_not_followed');
    });
    expect(fs.readdirSync(outside)).toEqual(['secret']);
  });

  it('never blocks on a FIFO: it is refused after a non-blocking open', async () => {
    await withRoot(root, async (r) => {
      expect(await codeOf(openFileAt(r, ['fifo']))).toBe('invalid_path');
    });
  });

  it('walks links as links, and a name can never be a path', async () => {
    await withRoot(root, async (r) => {
      const seen: Record<string, string> = {};
      for await (const e of walkTree(r, [])) seen[e.path] = e.type;
      expect(seen).toMatchObject({ out: 'symlink', alias: 'symlink', in: 'directory', 'in/f.txt': 'file', fifo: 'other' });
      expect(Object.keys(seen).some((p) => p.startsWith('out/') || p.startsWith('alias/'))).toBe(false);
      expect(() => r.at('..')).toThrow();
      expect(() => r.at('a/b')).toThrow();
      expect(() => r.at('')).toThrow();
      await expect(r.openDir('in/deeper')).rejects.toThrow();
      await expect(r.openDir('out')).rejects.toBeInstanceOf(NotBeneath);
    });
  });

  it('makes missing folders, renames between held folders, and removes trees without following links', async () => {
    await withRoot(root, async (r) => {
      const { dir, name } = await openParentAt(r, ['made', 'here', 'x.txt'], { create: true });
      await dir.close();
      expect(name).toBe('x.txt');
      expect(fs.statSync(path.join(root, 'made/here')).isDirectory()).toBe(true);
      const from = await openDirAt(r, ['in']);
      const to = await openDirAt(r, ['made']);
      await from.rename('f.txt', to, 'g.txt');
      await from.close();
      await to.close();
      expect(fs.readFileSync(path.join(root, 'made/g.txt'), 'utf8')).toBe('inside');
      fs.symlinkSync(outside, path.join(root, 'made/here/escape'));
      await removeEntry(r, 'made');
    });
    expect(fs.existsSync(path.join(root, 'made'))).toBe(false);
    expect(fs.readFileSync(path.join(outside, 'secret'), 'utf8')).toBe('SECRET');
    fs.mkdirSync(path.join(base, 'tree/a'), { recursive: true });
    fs.symlinkSync(outside, path.join(base, 'tree/a/link'));
    await removeTree(path.join(base, 'tree'));
    expect(fs.existsSync(path.join(base, 'tree'))).toBe(false);
    expect(fs.readdirSync(outside)).toEqual(['secret']);
  });

  it('a held folder moved elsewhere is still the one held (lookups follow the descriptor, not the name)', async () => {
    fs.mkdirSync(path.join(root, 'moving'));
    const r = await HeldDir.open(root);
    const moving = await r.openDir('moving');
    fs.renameSync(path.join(root, 'moving'), path.join(root, 'moved'));
    fs.symlinkSync(outside, path.join(root, 'moving'));
    await moving.mkdir('child');
    expect(fs.existsSync(path.join(root, 'moved/child'))).toBe(true);
    expect(fs.readdirSync(outside)).toEqual(['secret']);
    await moving.close();
    await r.close();
    expect(() => moving.at('x')).toThrow(/after close/);
  });
});
