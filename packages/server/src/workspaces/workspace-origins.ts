/**
 * Every workspace's IDE is served from an origin of its own, never the app's:
 * `CODITECT_WORKSPACE_ORIGIN` is a pattern such as `https://{id}.ws.example.com` (wildcard DNS and
 * certificate); unset, it is `http://{id}.ws.localhost:{port the server listens on}` (browsers
 * resolve `*.localhost` to loopback themselves). A request whose Host matches the pattern belongs
 * to that workspace, whatever its path.
 */

/** Session ids as they may appear in a host name label (UUIDs; lower case since host names are). */
const ID_LABEL = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** The origin pattern, parsed: scheme, the host suffix after `{id}.`, and the port if any. */
interface Pattern {
  scheme: 'http' | 'https';
  suffix: string;
  port: string;
}

/** Parses `http(s)://{id}.suffix[:port]`; throws on anything else (config validation calls it). */
export function parseWorkspaceOriginPattern(pattern: string): Pattern {
  const m = /^(https?):\/\/\{id\}\.([a-z0-9.-]+?)(?::(\d{1,5}))?\/?$/i.exec(pattern.trim());
  if (!m || m[2]!.startsWith('.') || m[2]!.endsWith('.') || m[2]!.includes('..')) {
    throw new Error('expected http(s)://{id}.<domain>[:port], e.g. https://{id}.ws.example.com');
  }
  return { scheme: m[1]!.toLowerCase() as 'http' | 'https', suffix: m[2]!.toLowerCase(), port: m[3] ?? '' };
}

/** The configured (or default) workspace origin pattern: who is a workspace, and where. */
export class WorkspaceOrigins {
  private pattern: Pattern;

  constructor(private readonly configured: string | undefined, port = 0) {
    this.pattern = parseWorkspaceOriginPattern(configured ?? `http://{id}.ws.localhost:${port}`);
  }

  /** The default pattern follows the port the server actually listens on (PORT=0 in tests). */
  setListeningPort(port: number): void {
    if (!this.configured) this.pattern = parseWorkspaceOriginPattern(`http://{id}.ws.localhost:${port}`);
  }

  /** `http(s)://{id}.suffix[:port]` for one session. */
  origin(workspaceId: string): string {
    const { scheme, suffix, port } = this.pattern;
    return `${scheme}://${workspaceId.toLowerCase()}.${suffix}${port ? `:${port}` : ''}`;
  }

  /** The session id a Host header names, or undefined when it is not a workspace host. Ports are ignored. */
  idForHost(host: string | undefined): string | undefined {
    if (!host) return undefined;
    const name = host.toLowerCase().replace(/:\d+$/, '').replace(/\.$/, '');
    const tail = `.${this.pattern.suffix}`;
    if (!name.endsWith(tail)) return undefined;
    const label = name.slice(0, -tail.length);
    return ID_LABEL.test(label) ? label : undefined;
  }

  /** Whether a browser `Origin` is some workspace's origin (never admitted by the app's CORS or cookie endpoints). */
  isWorkspaceOrigin(origin: string | undefined): boolean {
    if (!origin) return false;
    try {
      const u = new URL(origin);
      return this.idForHost(u.host) !== undefined;
    } catch {
      return false;
    }
  }

  /** CSP source matching every workspace origin, e.g. `https://*.ws.example.com`. */
  cspSource(): string {
    const { scheme, suffix, port } = this.pattern;
    return `${scheme}://*.${suffix}${port ? `:${port}` : ''}`;
  }

  /**
   * Whether the workspace's cookies can be `Secure` (then `SameSite=None; Partitioned`, which works
   * in the app's cross-site iframe with third-party cookies blocked): https, or http on `*.localhost`
   * (a secure context to browsers).
   */
  get secure(): boolean {
    return this.pattern.scheme === 'https' || this.pattern.suffix === 'localhost' || this.pattern.suffix.endsWith('.localhost');
  }
}
