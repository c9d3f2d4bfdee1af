/**
 * The `return` query parameter of /login, accepted only when it is a path on
 * this site (no `//evil.example`, no `https:`), so sign-in cannot be turned
 * into an open redirect.
 */
export function safeReturnPath(value: string | null | undefined): string {
  if (!value || !value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return '/';
  if (value.startsWith('/login') || value.startsWith('/register')) return '/';
  return value;
}

/** `/login?return=<current location>` */
export function loginPathFor(location: { pathname: string; search: string; hash?: string }): string {
  const here = location.pathname + location.search + (location.hash ?? '');
  return here === '/' ? '/login' : `/login?return=${encodeURIComponent(here)}`;
}
