// Shared between the Coditect session frontend and backend.

/** JSON-RPC path of the backend service. */
export const CODITECT_SESSION_SERVICE_PATH = '/services/coditect-session';

export const CoditectSessionService = Symbol('CoditectSessionService');

/** Compact, restorable description of the workbench layout. */
export interface CoditectLayout {
  version: 1;
  left?: PanelLayout;
  right?: PanelLayout;
  bottom?: PanelLayout;
}

export interface PanelLayout {
  expanded: boolean;
  /** id of the widget shown in the panel, when any */
  activeView?: string;
}

export interface CoditectSessionState {
  /** Workspace-relative path of the active editor. */
  activeFile?: string;
  layout?: CoditectLayout;
  [key: string]: unknown;
}

/** The subset of the Coditect session resource the IDE uses. */
export interface CoditectSession {
  id: string;
  name?: string;
  activeFiles: string[];
  state: CoditectSessionState;
}

export interface CoditectSessionUpdate {
  activeFiles: string[];
  state: CoditectSessionState;
}

export interface CoditectSessionInfo {
  /** false when the backend has no session id / API configured: the frontend then does nothing. */
  enabled: boolean;
  sessionId?: string;
}

/**
 * Backend service; the API token stays in the backend. Errors are never thrown to the frontend:
 * failures are logged in the backend and reported as `undefined` / `false`.
 */
export interface CoditectSessionService {
  info(): Promise<CoditectSessionInfo>;
  /** GET /api/v5/sessions/{id}; undefined when disabled or on error. */
  getSession(): Promise<CoditectSession | undefined>;
  /** PATCH /api/v5/sessions/{id}; true on 2xx. */
  updateSession(update: CoditectSessionUpdate): Promise<boolean>;
}

/** Normalises a session's activeFiles (drops absolute paths, '..' and duplicates). */
export function sanitizeRelativePaths(paths: unknown): string[] {
  if (!Array.isArray(paths)) return [];
  const out: string[] = [];
  for (const p of paths) {
    if (typeof p !== 'string' || p.length === 0 || p.length > 4096) continue;
    const norm = p.replace(/\\/g, '/').replace(/^\.\//, '');
    if (norm.startsWith('/') || norm.split('/').includes('..')) continue;
    if (!out.includes(norm)) out.push(norm);
  }
  return out;
}
