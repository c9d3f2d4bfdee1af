import { inject, injectable, named } from '@theia/core/shared/inversify';
import { ILogger } from '@theia/core/lib/common/logger';
import {
  CoditectSession, CoditectSessionInfo, CoditectSessionService, CoditectSessionUpdate, sanitizeRelativePaths,
} from '../common/coditect-session-protocol';
import { ApiTarget, apiRequest, parseApiUrl } from './coditect-api-client';

export interface CoditectSessionConfig {
  sessionId?: string;
  api?: ApiTarget;
  token?: string;
}

export const CoditectSessionConfig = Symbol('CoditectSessionConfig');

export function readSessionConfig(env: NodeJS.ProcessEnv = process.env): CoditectSessionConfig {
  return {
    sessionId: env.CODITECT_SESSION_ID || undefined,
    api: parseApiUrl(env.CODITECT_API_URL),
    token: env.CODITECT_API_TOKEN || undefined,
  };
}

@injectable()
export class CoditectSessionServiceImpl implements CoditectSessionService {
  @inject(ILogger) @named('coditect-session')
  protected readonly logger!: ILogger;

  @inject(CoditectSessionConfig)
  protected readonly config!: CoditectSessionConfig;

  protected get enabled(): boolean {
    return !!(this.config.sessionId && this.config.api);
  }

  protected get sessionPath(): string {
    return `/api/v5/sessions/${encodeURIComponent(this.config.sessionId!)}`;
  }

  async info(): Promise<CoditectSessionInfo> {
    return { enabled: this.enabled, sessionId: this.config.sessionId };
  }

  async getSession(): Promise<CoditectSession | undefined> {
    if (!this.enabled) return undefined;
    try {
      const res = await apiRequest(this.config.api!, 'GET', this.sessionPath, this.config.token);
      if (res.status < 200 || res.status >= 300) {
        this.logger.warn(`GET ${this.sessionPath} answered ${res.status}: ${res.body.slice(0, 300)}`);
        return undefined;
      }
      const data = JSON.parse(res.body) as Record<string, unknown>;
      const state = data.state && typeof data.state === 'object' && !Array.isArray(data.state)
        ? data.state as CoditectSession['state'] : {};
      return {
        id: String(data.id ?? this.config.sessionId),
        name: typeof data.name === 'string' ? data.name : undefined,
        activeFiles: sanitizeRelativePaths(data.activeFiles),
        state,
      };
    } catch (e) {
      this.logger.warn(`GET ${this.sessionPath} failed: ${(e as Error).message}`);
      return undefined;
    }
  }

  async updateSession(update: CoditectSessionUpdate): Promise<boolean> {
    if (!this.enabled) return false;
    const body: CoditectSessionUpdate = {
      activeFiles: sanitizeRelativePaths(update?.activeFiles),
      state: update?.state && typeof update.state === 'object' ? update.state : {},
    };
    try {
      const res = await apiRequest(this.config.api!, 'PATCH', this.sessionPath, this.config.token, body);
      if (res.status < 200 || res.status >= 300) {
        this.logger.warn(`PATCH ${this.sessionPath} answered ${res.status}: ${res.body.slice(0, 300)}`);
        return false;
      }
      return true;
    } catch (e) {
      this.logger.warn(`PATCH ${this.sessionPath} failed: ${(e as Error).message}`);
      return false;
    }
  }
}
