#!/usr/bin/env node
import os from 'node:os';
import readline from 'node:readline/promises';
import { parseArgs } from 'node:util';
import type { ChatMessage, ChatStreamEvent, UsageEvent } from '@coditect/contract';
import { ApiError, CoditectClient } from './client.js';
import { deleteConfig, readConfig, writeConfig, type CliConfig } from './config-store.js';
import { Spinner } from './spinner.js';

/** Exit codes: 0 ok, 1 failure, 2 usage error, 3 not signed in / rejected credentials, 4 not found, 5 budget exceeded. */
class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}

const HELP = `coditect — the Coditect command line

  coditect login [--server URL] [--email E] [--password-stdin] | [--token cdt_…]
  coditect logout | whoami
  coditect ai models
  coditect ai ask [-m provider/model] [--system S] "prompt"     (reads stdin when piped)
  coditect ai chat [-m provider/model]                           (interactive; /exit to quit)
  coditect ai compare -m a -m b [-m c] "prompt"
  coditect ai env claude|codex|aider                             (eval "$(coditect ai env claude)")
  coditect sessions ls | create NAME | rm ID
  coditect backup --to DIR | restore --from DIR [--force]         (on the server machine; --help for options)

  --json        machine-readable output
  --server URL  (login) default $CODITECT_SERVER or http://localhost:8080`;

const out = (s: string) => process.stdout.write(s);
const json = (v: unknown) => out(`${JSON.stringify(v, null, 2)}\n`);

/**
 * Inside a Coditect workspace (IDE terminal) the sandbox provides `CODITECT_API_URL` and a
 * workspace-scoped `CODITECT_API_TOKEN`: the CLI is signed in with no set-up. A `coditect login`
 * (config file) is used otherwise.
 */
function envConfig(env = process.env): CliConfig | undefined {
  const server = env.CODITECT_API_URL?.trim();
  const token = env.CODITECT_API_TOKEN?.trim();
  if (!server || !token || !/^https?:\/\//i.test(server)) return undefined;
  return { server: server.replace(/\/+$/, ''), token, ...(env.CODITECT_DEFAULT_MODEL ? { defaultModel: env.CODITECT_DEFAULT_MODEL } : {}) };
}

function requireLogin(): { config: CliConfig; client: CoditectClient } {
  const config = readConfig() ?? envConfig();
  if (!config) throw new CliError('Not signed in: run `coditect login`', 3);
  return { config, client: new CoditectClient(config.server, config.token) };
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return '';
  let data = '';
  for await (const chunk of process.stdin) data += chunk;
  return data;
}

async function pickModel(client: CoditectClient, config: CliConfig, requested?: string): Promise<string> {
  if (requested) return requested;
  if (config.defaultModel) return config.defaultModel;
  const { items } = await client.call('listModels');
  if (!items[0]) throw new CliError('No model available: configure a provider (PUT /api/v5/llm/providers/{provider})');
  return items[0].id;
}

const usageLine = (u: UsageEvent) =>
  `${u.model} · ${u.inputTokens}→${u.outputTokens} tokens · $${u.costUsd.toFixed(6)} · ${u.latencyMs} ms${u.fallbackFrom ? ` (fallback from ${u.fallbackFrom})` : ''}`;

async function login(flags: Record<string, unknown>) {
  const server = String(flags.server ?? process.env.CODITECT_SERVER ?? 'http://localhost:8080').replace(/\/+$/, '');
  const client = new CoditectClient(server);
  if (flags.token) {
    const token = String(flags.token);
    await new CoditectClient(server, token).call('getBudget');
    writeConfig({ server, token });
    return flags.json ? json({ server }) : out(`Signed in to ${server} with a personal access token\n`);
  }
  const rl = process.stdin.isTTY ? readline.createInterface({ input: process.stdin, output: process.stderr }) : undefined;
  const email = String(flags.email ?? (rl ? await rl.question('Email: ') : ''));
  let password = flags.password ? String(flags.password) : '';
  if (!password && (flags['password-stdin'] || !process.stdin.isTTY)) password = (await readStdin()).replace(/\r?\n$/, '');
  else if (!password && rl) password = await rl.question('Password: ');
  rl?.close();
  if (!email || !password) throw new CliError('Email and password are required', 2);
  const session = await client.call('login', { body: { email, password } });
  const created = await client.call('createApiToken', { body: { name: `coditect CLI on ${os.hostname()}`, scopes: ['llm', 'sessions'] } }, session.accessToken);
  // The password login was only needed to mint the token: end that auth session.
  await client.call('logout', {}, session.accessToken).catch(() => {});
  writeConfig({ server, token: created.token, tokenId: created.id, email: session.user.email });
  if (flags.json) json({ server, email: session.user.email, tokenPrefix: created.prefix });
  else out(`Signed in to ${server} as ${session.user.email} (token ${created.prefix}…)\n`);
}

async function ask(client: CoditectClient, config: CliConfig, flags: Record<string, unknown>, words: string[]) {
  const stdin = await readStdin();
  const prompt = [words.join(' '), stdin].filter(Boolean).join('\n\n');
  if (!prompt) throw new CliError('Nothing to ask: give a prompt or pipe text in', 2);
  const model = await pickModel(client, config, (flags.model as string[] | undefined)?.[0]);
  const result = await streamChat(client, { model, messages: [{ role: 'user', content: prompt }],
    ...(flags.system ? { system: String(flags.system) } : {}), persist: false }, Boolean(flags.json));
  if (flags.json) json(result);
}

/** Streams one chat turn to stdout; returns the text, usage and conversation id. */
async function streamChat(client: CoditectClient, body: Parameters<CoditectClient['stream']>[1] & { model: string }, quiet: boolean) {
  const spinner = quiet ? undefined : new Spinner().start(body.model);
  let text = '';
  let usage: UsageEvent | undefined;
  let conversationId: string | null = null;
  let error: Extract<ChatStreamEvent, { type: 'error' }> | undefined;
  try {
    for await (const e of client.stream('chat', body as never)) {
      if (e.type === 'start') conversationId = e.conversationId;
      else if (e.type === 'delta') {
        spinner?.stop();
        text += e.text;
        if (!quiet) out(e.text);
      } else if (e.type === 'usage') usage = e;
      else if (e.type === 'error') error = e;
    }
  } finally {
    spinner?.stop();
  }
  if (!quiet) out('\n');
  if (error) throw new CliError(`${error.message} (${error.code})`);
  if (usage && !quiet && process.stderr.isTTY) process.stderr.write(`\x1b[2m${usageLine(usage)}\x1b[0m\n`);
  return { model: body.model, text, usage, conversationId };
}

async function chat(client: CoditectClient, config: CliConfig, flags: Record<string, unknown>) {
  const model = await pickModel(client, config, (flags.model as string[] | undefined)?.[0]);
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout, terminal: Boolean(process.stdin.isTTY) });
  if (process.stdin.isTTY) out(`Chatting with ${model}. /exit to quit.\n`);
  let conversationId: string | undefined;
  for await (const line of rl) {
    const prompt = line.trim();
    if (!prompt) continue;
    if (prompt === '/exit' || prompt === '/quit') break;
    const r = await streamChat(client, { model, messages: [{ role: 'user', content: prompt }], persist: true,
      ...(conversationId ? { conversationId } : {}) }, Boolean(flags.json));
    conversationId = r.conversationId ?? undefined;
    if (flags.json) out(`${JSON.stringify(r)}\n`);
  }
  rl.close();
}

async function compare(client: CoditectClient, flags: Record<string, unknown>, words: string[]) {
  const models = (flags.model as string[] | undefined) ?? [];
  if (models.length < 2 || models.length > 4) throw new CliError('Give 2 to 4 models: -m a -m b', 2);
  const prompt = [words.join(' '), await readStdin()].filter(Boolean).join('\n\n');
  if (!prompt) throw new CliError('Nothing to compare: give a prompt', 2);
  const messages: ChatMessage[] = [{ role: 'user', content: prompt }];
  const results = new Map(models.map((m) => [m, { model: m, text: '', usage: undefined as UsageEvent | undefined, error: undefined as string | undefined }]));
  const spinner = flags.json ? undefined : new Spinner().start(models.join(' · '));
  for await (const e of client.stream('compare', { models, messages, ...(flags.system ? { system: String(flags.system) } : {}) })) {
    if (e.type === 'delta') results.get(e.model)!.text += e.text;
    else if (e.type === 'usage') results.get(e.model)!.usage = e;
    else if (e.type === 'error' && e.model) results.get(e.model)!.error = `${e.message} (${e.code})`;
  }
  spinner?.stop();
  const all = [...results.values()];
  if (flags.json) return json(all);
  const width = Math.max(24, Math.floor(((process.stdout.columns || 120) - 3 * (all.length - 1)) / all.length));
  const wrap = (s: string) => s.split('\n').flatMap((line) => line.match(new RegExp(`.{1,${width}}`, 'g')) ?? ['']);
  const columns = all.map((r) => [r.model, '─'.repeat(Math.min(width, r.model.length)), ...wrap(r.error ? `ERROR: ${r.error}` : r.text), '',
    r.usage ? `${r.usage.latencyMs} ms · $${r.usage.costUsd.toFixed(6)}` : '', r.usage ? `${r.usage.inputTokens}→${r.usage.outputTokens} tokens` : '']);
  const rows = Math.max(...columns.map((c) => c.length));
  for (let i = 0; i < rows; i++) out(`${columns.map((c) => (c[i] ?? '').padEnd(width)).join(' │ ').trimEnd()}\n`);
  if (all.every((r) => r.error)) throw new CliError('Every model failed');
}

function env(config: CliConfig, tool: string | undefined, asJson: boolean) {
  const base = `${config.server}/api/v5/llm`;
  const vars: Record<string, Record<string, string>> = {
    // Claude Code: ANTHROPIC_AUTH_TOKEN goes out as a Bearer token, which the gateway accepts.
    claude: { ANTHROPIC_BASE_URL: `${base}/anthropic`, ANTHROPIC_AUTH_TOKEN: config.token, ANTHROPIC_MODEL: 'anthropic/claude-sonnet-4-5' },
    codex: { OPENAI_BASE_URL: `${base}/openai/v1`, OPENAI_API_KEY: config.token },
    aider: { OPENAI_API_BASE: `${base}/openai/v1`, OPENAI_API_KEY: config.token, AIDER_MODEL: 'openai/openai/gpt-4o' },
  };
  if (tool === 'gemini') {
    throw new CliError('The gemini CLI speaks only Google\'s own protocol, which the gateway does not serve yet; use `coditect ai ask -m google/…`');
  }
  const chosen = tool ? vars[tool] : undefined;
  if (!chosen) throw new CliError('Usage: coditect ai env claude|codex|aider', 2);
  if (asJson) return json(chosen);
  for (const [k, v] of Object.entries(chosen)) out(`export ${k}=${JSON.stringify(v)}\n`);
}

async function sessions(client: CoditectClient, sub: string | undefined, args: string[], asJson: boolean) {
  if (sub === 'ls' || sub === 'list' || !sub) {
    const page = await client.call('listSessions', { query: { limit: 100 } });
    if (asJson) return json(page.items);
    if (!page.items.length) return out('No sessions\n');
    for (const s of page.items) out(`${s.id}  ${s.name}  ${s.updatedAt}\n`);
    return;
  }
  if (sub === 'create') {
    const name = args.join(' ').trim();
    if (!name) throw new CliError('Usage: coditect sessions create NAME', 2);
    const s = await client.call('createSession', { body: { name } });
    return asJson ? json(s) : out(`${s.id}\n`);
  }
  if (sub === 'rm') {
    if (!args[0]) throw new CliError('Usage: coditect sessions rm ID', 2);
    await client.call('deleteSession', { params: { id: args[0] } });
    return asJson ? json({ deleted: args[0] }) : out(`Deleted ${args[0]}\n`);
  }
  throw new CliError(`Unknown sessions command "${sub}"`, 2);
}

/**
 * `coditect backup|restore`: run on the server machine, against the instance its
 * environment configures. The work is the server package's (`@coditect/server`,
 * present in this monorepo), loaded only for these two commands.
 */
async function ops(command: 'backup' | 'restore', argv: string[]): Promise<void> {
  const specifier = '@coditect/server/dist/ops/cli.js';
  let mod: { runOpsCommand(c: string, a: string[]): Promise<number> };
  try {
    mod = (await import(specifier)) as typeof mod;
  } catch {
    throw new CliError(`${command} runs on the server machine and needs the built server package (npm run build; or use npm run ${command})`);
  }
  process.exitCode = await mod.runOpsCommand(command, argv);
}

async function main(argv: string[]) {
  if (argv[0] === 'backup' || argv[0] === 'restore') return ops(argv[0], argv.slice(1));
  const { values: flags, positionals } = parseArgs({
    args: argv, allowPositionals: true, strict: true,
    options: {
      json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' }, model: { type: 'string', short: 'm', multiple: true },
      system: { type: 'string', short: 's' }, server: { type: 'string' }, email: { type: 'string' }, password: { type: 'string' },
      'password-stdin': { type: 'boolean' }, token: { type: 'string' },
    },
  });
  const [cmd, sub, ...rest] = positionals;
  if (flags.help || !cmd) return out(`${HELP}\n`);
  const asJson = Boolean(flags.json);
  switch (cmd) {
    case 'login': return login(flags);
    case 'logout': {
      const had = deleteConfig();
      return asJson ? json({ signedOut: had }) : out(had ? 'Signed out (revoke the token under /users/me/tokens to invalidate it)\n' : 'Not signed in\n');
    }
    case 'whoami': {
      const { config, client } = requireLogin();
      const budget = await client.call('getBudget');
      const info = { server: config.server, email: config.email ?? null, tokenId: config.tokenId ?? null, spentThisMonthUsd: budget.spentUsd };
      return asJson ? json(info) : out(`${info.email ?? '(token)'} on ${info.server} · $${budget.spentUsd.toFixed(4)} spent this month\n`);
    }
    case 'ai': {
      const { config, client } = requireLogin();
      const words = rest;
      switch (sub) {
        case 'models': {
          const list = await client.call('listModels');
          if (asJson) return json(list);
          for (const m of list.items) out(`${m.id}${m.pricing ? `  $${m.pricing.inputPerMTok}/$${m.pricing.outputPerMTok} per MTok` : ''}\n`);
          for (const e of list.errors) process.stderr.write(`! ${e.provider}: ${e.message}\n`);
          return;
        }
        case 'ask': return ask(client, config, flags, words);
        case 'chat': return chat(client, config, flags);
        case 'compare': return compare(client, flags, words);
        case 'env': return env(config, words[0], asJson);
        default: throw new CliError(`Unknown ai command "${sub ?? ''}"\n\n${HELP}`, 2);
      }
    }
    case 'sessions': {
      const { client } = requireLogin();
      return sessions(client, sub, rest, asJson);
    }
    default:
      throw new CliError(`Unknown command "${cmd}"\n\n${HELP}`, 2);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof ApiError) {
    process.stderr.write(`coditect: ${err.message} (${err.code})\n`);
    process.exit(err.status === 401 ? 3 : err.status === 404 ? 4 : err.status === 402 ? 5 : 1);
  }
  if (err instanceof CliError) {
    process.stderr.write(`coditect: ${err.message}\n`);
    process.exit(err.exitCode);
  }
  if ((err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(`coditect: ${(err as Error).message}\n`);
    process.exit(2);
  }
  process.stderr.write(`coditect: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
