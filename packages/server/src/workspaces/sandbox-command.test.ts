import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildSandboxCommand, buildUnsandboxedCommand, SANDBOX } from './sandbox-command.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'coditect-cmd-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** Pairs/triples of a flag in argv, e.g. ['--bind', src, dest]. */
function flagArgs(args: string[], flag: string, n: number): string[][] {
  const out: string[][] = [];
  args.forEach((a, i) => {
    if (a === flag) out.push(args.slice(i + 1, i + 1 + n));
  });
  return out;
}

describe('buildSandboxCommand', () => {
  const ws = path.join(root, 'ws');
  const run = path.join(root, 'run');
  fs.mkdirSync(ws, { recursive: true });
  const cmd = buildSandboxCommand({
    sessionId: 's1',
    workspaceDir: ws,
    runDir: run,
    ideAppDir: '/srv/ide',
    bwrapPath: '/usr/bin/bwrap',
    disableNestedUserns: true,
    env: { CODITECT_API_TOKEN: 'secret-token' },
  });
  const sep = cmd.args.indexOf('--');
  const opts = cmd.args.slice(0, sep);

  it('unshares everything, dies with its parent, drops capabilities', () => {
    expect(opts).toEqual(expect.arrayContaining(['--unshare-all', '--unshare-user', '--die-with-parent', '--disable-userns']));
    expect(flagArgs(opts, '--cap-drop', 1)).toEqual([['ALL']]);
    expect(opts).not.toContain('--share-net');
  });

  it('binds only the workspace read-write; the run dir (the server\'s sockets) read-only', () => {
    expect(flagArgs(opts, '--bind', 2)).toEqual([[ws, SANDBOX.workspaceDir]]);
    expect(flagArgs(opts, '--ro-bind', 2)).toContainEqual([run, SANDBOX.runDir]);
    expect(flagArgs(opts, '--ro-bind', 2)).toContainEqual(['/srv/ide', SANDBOX.appDir]);
    expect(flagArgs(opts, '--tmpfs', 1)).toEqual(expect.arrayContaining([['/tmp'], ['/etc'], [SANDBOX.homeDir]]));
    expect(opts).toContain('--proc');
    expect(opts).toContain('--dev');
    expect(fs.readFileSync(path.join(run, 'etc', 'passwd'), 'utf8')).toContain(`coditect:x:${SANDBOX.uid}`);
  });

  it('runs the IDE entry; secrets go through the environment, never argv', () => {
    expect(cmd.args.slice(sep + 1)).toEqual([fs.realpathSync(process.execPath), `${SANDBOX.appDir}/sandbox/ide-relay.mjs`]);
    expect(cmd.args.join(' ')).not.toContain('secret-token');
    expect(cmd.env.CODITECT_API_TOKEN).toBe('secret-token');
    expect(cmd.env.CODITECT_SESSION_ID).toBe('s1');
    expect(cmd.env.CODITECT_API_URL).toBe(`http://127.0.0.1:${SANDBOX.apiPort}`);
    expect(Object.keys(cmd.env)).not.toContain('CI');
    expect(cmd.ideSocketPath).toBe(path.join(run, 'ide.sock'));
    expect(cmd.apiSocketPath).toBe(path.join(run, 'api.sock'));
  });

  it('a persistent home is bound when given', () => {
    const home = path.join(root, 'home');
    const c = buildSandboxCommand({ sessionId: 's1', workspaceDir: ws, runDir: run, homeDir: home, bwrapPath: '/usr/bin/bwrap', disableNestedUserns: false });
    expect(flagArgs(c.args, '--bind', 2)).toContainEqual([home, SANDBOX.homeDir]);
    expect(c.args).not.toContain('--disable-userns');
  });
});

describe('buildUnsandboxedCommand', () => {
  it('runs the same entry with host paths and free ports', () => {
    const c = buildUnsandboxedCommand({ sessionId: 's1', workspaceDir: path.join(root, 'ws'), runDir: path.join(root, 'run2'), ideAppDir: '/srv/ide' });
    expect(c.args).toEqual(['/srv/ide/sandbox/ide-relay.mjs']);
    expect(c.env.CODITECT_IDE_PORT).toBe('0');
    expect(c.env.CODITECT_UNSANDBOXED).toBe('1');
    expect(c.cwd).toBe(path.join(root, 'ws'));
  });
});
