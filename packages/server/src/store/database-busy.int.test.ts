import SQLite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSession, registerAccount, type Account } from '../test-support/factories.js';
import { startTestServer, type TestServer } from '../test-support/test-server.js';

describe('SQLite locked by another connection: 503 database_busy, never a 500', () => {
  let t: TestServer;
  let a: Account;
  let sessionId: string;
  beforeAll(async () => {
    t = await startTestServer('sqlite', { CODITECT_SQLITE_BUSY_TIMEOUT_MS: '50' });
    a = await registerAccount(t.api);
    sessionId = (await createSession(t.api, a.accessToken)).id;
  });
  afterAll(async () => { await t.close(); });

  it('a write while a second connection holds the write lock answers 503 database_busy with Retry-After; reads still work; then it passes', async () => {
    const other = new SQLite(t.databaseUrl.replace(/^sqlite:/, ''));
    try {
      other.exec('begin immediate');
      for (let i = 0; i < 20; i++) {
        const res = await t.api.patch(`/sessions/${sessionId}`, { name: `busy ${i}` }, { token: a.accessToken });
        expect(res.status, JSON.stringify(res.body)).toBe(503);
        expect(res.body.error.code).toBe('database_busy');
        expect(res.headers.get('retry-after')).toBe('1');
        const create = await t.api.post('/sessions', { name: 'blocked' }, { token: a.accessToken });
        expect(create.body.error?.code).toBe('database_busy');
      }
      // WAL: readers are not blocked by a writer.
      expect((await t.api.get(`/sessions/${sessionId}`, { token: a.accessToken })).body.name).toBe('My workspace');
      other.exec('rollback');
      const res = await t.api.patch(`/sessions/${sessionId}`, { name: 'free again' }, { token: a.accessToken });
      expect(res.status).toBe(200);
      expect(res.body.name).toBe('free again');
    } finally {
      other.close();
    }
  });
});
