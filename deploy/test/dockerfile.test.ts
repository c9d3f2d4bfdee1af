/**
 * No Docker engine runs here: the Dockerfile is checked by parsing it. The
 * checks are what the image must guarantee (non-root uid 1001, health check,
 * data volume, bubblewrap, port, entrypoint) and that everything it COPYs from
 * the build context exists and is not excluded by .dockerignore.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEPLOY, ROOT } from './support.js';

interface Instruction { op: string; args: string; line: number }
interface Stage { from: string; name?: string; instructions: Instruction[] }

function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let line = lines[i]!;
    if (/^\s*(#|$)/.test(line)) continue;
    while (/\\\s*$/.test(line) && i + 1 < lines.length) {
      line = line.replace(/\\\s*$/, ' ');
      i++;
      if (!/^\s*#/.test(lines[i]!)) line += lines[i]!.trim();
    }
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!m) throw new Error(`line ${start + 1}: cannot parse ${line}`);
    const op = m[1]!.toUpperCase();
    const args = m[2]!.trim();
    if (op === 'FROM') {
      const f = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args)!;
      stages.push({ from: f[1]!, name: f[2], instructions: [] });
    } else if (op !== 'ARG' || stages.length) {
      stages.at(-1)?.instructions.push({ op, args, line: start + 1 });
    }
  }
  return stages;
}

const dockerfile = fs.readFileSync(path.join(DEPLOY, 'docker/Dockerfile'), 'utf8');
const stages = parseDockerfile(dockerfile);
const runtime = stages.at(-1)!;
const all = (stage: Stage, op: string) => stage.instructions.filter((i) => i.op === op);
const one = (stage: Stage, op: string) => {
  const found = all(stage, op);
  expect(found, `${op} in the ${stage.name} stage`).toHaveLength(1);
  return found[0]!;
};
const json = (i: Instruction) => JSON.parse(i.args) as string[];

describe('deploy/docker/Dockerfile', () => {
  it('is multi-stage: a build stage with the IDE\'s native build libs, a slim runtime stage', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const build = stages.find((s) => s.name === 'build')!;
    const buildRun = all(build, 'RUN').map((i) => i.args).join('\n');
    for (const pkg of ['g++', 'make', 'python3', 'libsecret-1-dev', 'libx11-dev', 'libxkbfile-dev']) expect(buildRun).toContain(pkg);
    expect(buildRun).toContain('npm ci');
    expect(buildRun).toContain('scripts/ide-build.mjs');
    expect(buildRun).toMatch(/npm prune --omit=dev/);
    expect(runtime.from).toMatch(/-slim$/);
    const runtimeRun = all(runtime, 'RUN').map((i) => i.args).join('\n');
    expect(runtimeRun).not.toMatch(/\b(g\+\+|build-essential|-dev\b)/);
    // Everything the runtime needs comes from the build stage, not the raw context.
    for (const c of all(runtime, 'COPY')) expect(c.args).toMatch(/^--from=build\b/);
  });

  it('installs bubblewrap (workspace sandbox) and an init that reaps children', () => {
    const runtimeRun = all(runtime, 'RUN').map((i) => i.args).join('\n');
    expect(runtimeRun).toMatch(/apt-get install[^\n]*\bbubblewrap\b/);
    expect(runtimeRun).toMatch(/\btini\b/);
  });

  it('runs as uid 1001, never root', () => {
    expect(one(runtime, 'USER').args).toMatch(/^1001(:1001)?$/);
    const runtimeRun = all(runtime, 'RUN').map((i) => i.args).join('\n');
    expect(runtimeRun).toMatch(/useradd[^\n]*--uid 1001/);
    // USER comes after every RUN (nothing runs as root after the switch is undone).
    const userLine = one(runtime, 'USER').line;
    expect(all(runtime, 'RUN').every((r) => r.line < userLine)).toBe(true);
  });

  it('keeps the data directory on a volume owned by that user', () => {
    expect(json(one(runtime, 'VOLUME'))).toEqual(['/data']);
    const env = all(runtime, 'ENV').map((i) => i.args).join(' ');
    expect(env).toMatch(/CODITECT_DATA_DIR=\/data\b/);
    expect(all(runtime, 'RUN').map((i) => i.args).join('\n')).toMatch(/chown 1001:1001 \/data/);
  });

  it('exposes the port the server listens on, on all interfaces, in production mode', () => {
    const env = all(runtime, 'ENV').map((i) => i.args).join(' ');
    const port = /\bPORT=(\d+)/.exec(env)?.[1];
    expect(one(runtime, 'EXPOSE').args).toBe(port);
    expect(env).toMatch(/\bHOST=0\.0\.0\.0\b/);
    expect(env).toMatch(/\bNODE_ENV=production\b/);
    // No secret is baked into the image.
    expect(env).not.toMatch(/JWT_SECRET|MASTER_KEY|DATABASE_URL|API_KEY/);
  });

  it('has a HEALTHCHECK on /api/v5/health', () => {
    const hc = one(runtime, 'HEALTHCHECK').args;
    expect(hc).toMatch(/--interval=\d+s/);
    expect(hc).toMatch(/CMD \[/);
    expect(hc).toContain('/api/v5/health');
    // The runtime image has no curl/wget: the check uses node itself.
    expect(hc).toMatch(/"node"/);
  });

  it('starts node packages/server/dist/main.js (exec form, behind tini, SIGTERM for graceful shutdown)', () => {
    const ep = json(one(runtime, 'ENTRYPOINT'));
    expect(ep.slice(-2)).toEqual(['node', 'packages/server/dist/main.js']);
    expect(ep[0]).toMatch(/tini$/);
    expect(one(runtime, 'WORKDIR').args).toBe('/app');
    expect(one(runtime, 'STOPSIGNAL').args).toBe('SIGTERM');
  });

  it('COPYs only paths that exist in the repository and are not excluded by .dockerignore', () => {
    const ignore = fs.readFileSync(path.join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    expect(ignore).toEqual(expect.arrayContaining(['.git', '**/node_modules', '**/dist', 'data']));
    const toRegex = (p: string) => new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*\*\//g, '\0').replace(/\*/g, '[^/]*').replace(/\0/g, '(.*/)?')}(/.*)?$`);
    const ignored = (p: string) => ignore.some((g) => toRegex(g).test(p));
    for (const stage of stages) {
      for (const c of all(stage, 'COPY').filter((i) => !i.args.startsWith('--from'))) {
        const parts = c.args.split(/\s+/).filter((p) => !p.startsWith('--'));
        for (const src of parts.slice(0, -1)) {
          expect(fs.existsSync(path.join(ROOT, src)), `line ${c.line}: ${src} exists`).toBe(true);
          expect(ignored(src), `line ${c.line}: ${src} is not in .dockerignore`).toBe(false);
        }
      }
    }
    // And what the build produces is not shipped in from the developer's machine.
    for (const p of ['node_modules', 'packages/server/dist', 'packages/ide/lib', 'packages/ide/node_modules', 'data', '.env']) {
      expect(ignored(p), p).toBe(true);
    }
  });
});
