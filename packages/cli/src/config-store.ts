import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** What `coditect login` stores: the server and a personal access token (never a password). */
export interface CliConfig {
  server: string;
  token: string;
  tokenId?: string;
  email?: string;
  defaultModel?: string;
}

/** `$CODITECT_CONFIG_DIR`, else `$XDG_CONFIG_HOME/coditect`, else `~/.config/coditect`. */
export function configDir(env = process.env): string {
  if (env.CODITECT_CONFIG_DIR) return env.CODITECT_CONFIG_DIR;
  return path.join(env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config'), 'coditect');
}

const file = () => path.join(configDir(), 'config.json');

export function readConfig(): CliConfig | undefined {
  try {
    return JSON.parse(fs.readFileSync(file(), 'utf8')) as CliConfig;
  } catch {
    return undefined;
  }
}

/** Written with mode 0600 in a 0700 directory: the token is a credential. */
export function writeConfig(config: CliConfig): void {
  fs.mkdirSync(configDir(), { recursive: true, mode: 0o700 });
  const tmp = `${file()}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(config, null, 2), { mode: 0o600 });
  fs.chmodSync(tmp, 0o600);
  fs.renameSync(tmp, file());
}

export function deleteConfig(): boolean {
  try {
    fs.unlinkSync(file());
    return true;
  } catch {
    return false;
  }
}
