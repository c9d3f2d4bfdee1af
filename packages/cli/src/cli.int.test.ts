import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_UPSTREAM_EGRESS, FakeUpstream } from '../../server/src/llm/testing/fake-upstream.js';
import { registerAccount, type Account } from '../../server/src/test-support/factories.js';
import { startTestServer, tempDir, type TestServer } from '../../server/src/test-support/test-server.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const BIN = path.join(root, 'packages/cli/dist/main.js');

let t: TestServer;
let fake: FakeUpstream;
let a: Account;
let configDir: string;

/** Runs the real `coditect` binary. */
function run(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, CODITECT_CONFIG_DIR: configDir, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

beforeAll(async () => {
  execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-b', path.join(root, 'packages/cli')]);
  fake = await new FakeUpstream().start();
  t = await startTestServer('sqlite', { ...FAKE_UPSTREAM_EGRESS });
  a = await registerAccount(t.api);
  await t.api.put('/llm/providers/openai', { apiKey: 'sk-cli-test-key-9999', baseUrl: fake.baseUrl('openai') }, { token: a.accessToken });
  await t.api.put('/llm/providers/anthropic', { apiKey: 'sk-ant-cli-test-8888', baseUrl: fake.baseUrl('anthropic') }, { token: a.accessToken });
  configDir = path.join(tempDir('coditect-cli-'), 'config');
}, 120_000);
afterAll(async () => {
  await t?.close();
  await fake?.close();
});

describe('coditect CLI (real binary, real server)', () => {
  it('fails clearly with exit code 3 before login', async () => {
    const r = await run(['ai', 'models']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('coditect login');
  });

  it('logs in with email and password and stores a token with mode 0600', async () => {
    const r = await run(['login', '--server', t.origin, '--email', a.email, '--password-stdin'], `${a.password}\n`);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(a.email);
    const file = path.join(configDir, 'config.json');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const stored = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(stored.token).toMatch(/^cdt_/);
    expect(JSON.stringify(stored)).not.toContain(a.password);
    const who = await run(['whoami', '--json']);
    expect(JSON.parse(who.stdout)).toMatchObject({ email: a.email, server: t.origin });
  });

  it('lists models and asks a model, streaming to stdout (prompt from args and from stdin)', async () => {
    const models = await run(['ai', 'models', '--json']);
    expect(JSON.parse(models.stdout).items.map((m: any) => m.id)).toContain('openai/gpt-4o');
    const ask = await run(['ai', 'ask', '-m', 'openai/gpt-4o', 'say', 'hi']);
    expect(ask.code, ask.stderr).toBe(0);
    expect(ask.stdout.trim()).toBe('Hello from fake openai');
    expect(fake.last('openai')!.body.messages.at(-1).content).toBe('say hi');
    const piped = await run(['ai', 'ask', '-m', 'anthropic/claude-haiku-4-5', '--json'], 'from stdin');
    expect(JSON.parse(piped.stdout)).toMatchObject({ text: 'Hello from fake anthropic', usage: { status: 'ok' } });
    expect(fake.last('anthropic')!.body.messages[0].content[0].text).toBe('from stdin');
  });

  it('chats with history and compares models side by side', async () => {
    const chat = await run(['ai', 'chat', '-m', 'openai/gpt-4o', '--json'], 'first\nsecond\n/exit\n');
    expect(chat.code, chat.stderr).toBe(0);
    const turns = chat.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(turns).toHaveLength(2);
    expect(turns[1].conversationId).toBe(turns[0].conversationId);
    expect(fake.last('openai')!.body.messages.map((m: any) => m.content)).toEqual(['first', 'Hello from fake openai', 'second']);

    const cmp = await run(['ai', 'compare', '-m', 'openai/gpt-4o', '-m', 'anthropic/claude-sonnet-4-5', 'which?']);
    expect(cmp.code, cmp.stderr).toBe(0);
    expect(cmp.stdout).toContain('openai/gpt-4o');
    expect(cmp.stdout).toContain('Hello from fake anthropic');
    expect(cmp.stdout).toMatch(/\d+ ms · \$\d/);
  });

  it('prints the environment for third-party CLIs', async () => {
    const r = await run(['ai', 'env', 'claude']);
    expect(r.stdout).toContain(`export ANTHROPIC_BASE_URL="${t.origin}/api/v5/llm/anthropic"`);
    expect(r.stdout).toMatch(/ANTHROPIC_AUTH_TOKEN="cdt_/);
    const codex = await run(['ai', 'env', 'codex', '--json']);
    expect(JSON.parse(codex.stdout).OPENAI_BASE_URL).toBe(`${t.origin}/api/v5/llm/openai/v1`);
  });

  it('exits non-zero with a clear message for an unknown model and bad usage', async () => {
    const r = await run(['ai', 'ask', '-m', 'nope/x', 'hi']);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('model_not_found');
    expect((await run(['ai', 'compare', '-m', 'openai/gpt-4o', 'x'])).code).toBe(2);
    expect((await run(['frobnicate'])).code).toBe(2);
  });

  it('manages workspace sessions with its personal access token', async () => {
    const created = await run(['sessions', 'create', 'From', 'CLI', '--json']);
    expect(created.code, created.stderr).toBe(0);
    const id = JSON.parse(created.stdout).id;
    expect((await run(['sessions', 'ls'])).stdout).toContain('From CLI');
    expect((await run(['sessions', 'rm', id])).code).toBe(0);
  });

  it('logs out', async () => {
    expect((await run(['logout'])).code).toBe(0);
    expect((await run(['whoami'])).code).toBe(3);
  });
});
