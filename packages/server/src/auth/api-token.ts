import { createHash } from 'node:crypto';

/** Every personal access token starts with this, so it is recognisable (and secret scanners can match it). */
export const API_TOKEN_PREFIX = 'cdt_';

/** What a personal access token may be used for. */
export type TokenScope = 'llm' | 'sessions';

/** Tokens are stored only as this hash. */
export const hashApiToken = (token: string): string => createHash('sha256').update(token).digest('hex');
