import type { Dialect } from '../database.js';

/** Column types that differ between the two engines; everything else is shared. */
export interface ColumnTypes {
  dialect: Dialect;
  timestamp: 'timestamptz' | 'text';
  json: 'jsonb' | 'text';
  boolean: 'boolean' | 'integer';
}

export const columnTypes = (dialect: Dialect): ColumnTypes =>
  dialect === 'postgres'
    ? { dialect, timestamp: 'timestamptz', json: 'jsonb', boolean: 'boolean' }
    : { dialect, timestamp: 'text', json: 'text', boolean: 'integer' };
