import { randomUUID } from 'node:crypto';
import { createWriteStream, type BigIntStats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { WrittenFile } from '@coditect/contract';
import type { Deps } from '../deps.js';
import { AppError } from '../http/app-error.js';
import { addUsage, tenantUsage } from '../store/repositories/workspace-storage.js';
import { etagMatches, etagOf } from './etag.js';
import type { HeldDir } from './beneath/held-dir.js';
import { changedMeanwhile, notBeneathError, withParent, withRoot } from './beneath/resolve.js';
import { entryLockKey, type Workspace } from './workspace-access.js';
import { parseWorkspacePath } from './workspace-path.js';

/** Preconditions of a write (RFC 9110): `If-Match` for optimistic concurrency, `If-None-Match: *` for create-only. */
export interface WritePreconditions {
  ifMatch?: string;
  ifNoneMatch?: string;
}

/** A body received into a staging file, not yet visible in the workspace. */
export interface StagedFile {
  segments: string[];
  tmpFile: string;
  size: number;
}

/** After this much past a limit we stop reading and drop the connection instead of draining it. */
const DRAIN_ALLOWANCE = 8 * 1024 * 1024;

const fileTooLarge = (max: number) => new AppError('file_too_large', `File is larger than the limit of ${max} bytes`);
const quotaExceeded = () => new AppError('quota_exceeded', 'Storage quota exceeded');

/** What the tenant may still add, given it is about to replace `replacing` bytes. */
export async function remainingQuota(deps: Deps, tenantId: string, replacing = 0): Promise<number> {
  const used = await deps.store.tenant(tenantId, (tx) => tenantUsage(tx, tenantId));
  return deps.config.storage.quotaBytes - used + replacing;
}

/**
 * Streams `source` into a new staging file, chunk by chunk (never the whole
 * body in memory), counting bytes. Past a limit the rest of the body is read
 * and dropped (so the client gets its 413) and the staging file is removed.
 */
export async function stageBody(
  ws: Workspace, segments: string[], source: Readable, limits: { maxFileBytes: number; allowance: number },
): Promise<StagedFile> {
  const tmpFile = path.join(ws.tmp, randomUUID());
  let size = 0;
  let failure: AppError | undefined;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length;
      if (!failure && size > limits.maxFileBytes) failure = fileTooLarge(limits.maxFileBytes);
      if (!failure && size > limits.allowance) failure = quotaExceeded();
      if (failure && size > Math.min(limits.maxFileBytes, limits.allowance) + DRAIN_ALLOWANCE) return done(failure);
      done(null, failure ? undefined : chunk);
    },
  });
  try {
    await pipeline(source, counter, createWriteStream(tmpFile, { flags: 'wx', mode: 0o644, flush: true }));
    if (failure) throw failure;
    return { segments, tmpFile, size };
  } catch (err) {
    await fs.rm(tmpFile, { force: true });
    throw err;
  }
}

/** A write's target as it is now: a regular file, or nothing. A folder, symlink or FIFO there is refused, never replaced. */
function currentFile(st: BigIntStats | undefined): BigIntStats | undefined {
  if (!st) return undefined;
  if (st.isDirectory()) throw new AppError('conflict', 'A folder exists at this path');
  if (st.isSymbolicLink()) throw notBeneathError('symlink', 'file');
  if (!st.isFile()) throw new AppError('invalid_path', 'Not a regular file');
  return st;
}

/** The file a write would replace, looked up by descriptor; a missing parent is "nothing there" when `parents`. */
async function inspectTarget(root: HeldDir, segments: string[], parents: boolean): Promise<BigIntStats | undefined> {
  try {
    return await withParent(root, segments, {}, async (dir, name) => currentFile(await dir.lstat(name)));
  } catch (err) {
    if (parents && err instanceof AppError && err.code === 'not_found') return undefined;
    throw err;
  }
}

function checkPreconditions(pre: WritePreconditions, current: BigIntStats | undefined): void {
  const etag = current ? etagOf(current) : undefined;
  if (pre.ifMatch !== undefined && !etagMatches(pre.ifMatch, etag)) {
    throw new AppError('precondition_failed', 'The file changed (If-Match does not match its ETag)', {
      headers: etag ? { etag } : {},
    });
  }
  if (pre.ifNoneMatch !== undefined && etagMatches(pre.ifNoneMatch, etag)) {
    throw new AppError('precondition_failed', 'The file already exists (If-None-Match)', { headers: etag ? { etag } : {} });
  }
}

/**
 * Makes staged files visible: under one lock per target, checks
 * preconditions, charges the quota for all of them in one conditional
 * update, then renames each into place (atomic per file). On any refusal
 * every staging file is removed and nothing in the workspace changed.
 */
export async function commitStaged(
  deps: Deps, ws: Workspace, staged: StagedFile[], options: WritePreconditions & { parents: boolean },
): Promise<WrittenFile[]> {
  try {
    const keys = staged.map((s) => entryLockKey(ws, s.segments));
    return await withRoot(ws.root, (root) => deps.storage.locks.runAll(keys, async () => {
      const currents: (BigIntStats | undefined)[] = [];
      for (const s of staged) currents.push(await inspectTarget(root, s.segments, options.parents));
      currents.forEach((c) => checkPreconditions(options, c));
      const delta = staged.reduce((sum, s, i) => sum + s.size - Number(currents[i]?.size ?? 0), 0);
      const fits = await deps.store.tenant(ws.tenantId, (tx) =>
        addUsage(tx, ws.tenantId, ws.sessionId, delta, deps.config.storage.quotaBytes));
      if (!fits) throw quotaExceeded();
      const written: WrittenFile[] = [];
      let moved = 0;
      try {
        for (const [i, s] of staged.entries()) {
          const current = currents[i];
          if (current) await fs.chmod(s.tmpFile, Number(current.mode) & 0o7777);
          // The ETag of the bytes about to land: a rename keeps the inode and mtime.
          const st = await fs.stat(s.tmpFile, { bigint: true });
          await withParent(root, s.segments, { create: options.parents }, async (dir, name) => {
            currentFile(await dir.lstat(name)); // what was swapped in since the check is refused too
            await dir.adopt(s.tmpFile, name).catch((err: unknown) => { throw changedMeanwhile(err); });
          });
          moved += s.size - Number(current?.size ?? 0);
          written.push({ path: s.segments.join('/'), size: s.size, etag: etagOf(st) });
        }
      } catch (err) {
        // Give back what was charged for the files that did not land.
        await deps.store.tenant(ws.tenantId, (tx) =>
          addUsage(tx, ws.tenantId, ws.sessionId, moved - delta, Number.MAX_SAFE_INTEGER));
        throw err;
      }
      return written;
    }));
  } finally {
    await Promise.all(staged.map((s) => fs.rm(s.tmpFile, { force: true })));
  }
}

/** PUT content: stream the body to staging, then commit it under the preconditions. */
export async function writeFile(
  deps: Deps, ws: Workspace, rawPath: string, body: Readable,
  options: WritePreconditions & { parents: boolean; contentLength: number | undefined },
): Promise<WrittenFile> {
  const segments = parseWorkspacePath(rawPath);
  const { maxFileBytes } = deps.config.storage;
  // Fail before reading a byte when the answer is already known.
  if (options.contentLength !== undefined && options.contentLength > maxFileBytes) throw fileTooLarge(maxFileBytes);
  const current = await withRoot(ws.root, (root) => inspectTarget(root, segments, options.parents));
  checkPreconditions(options, current);
  const allowance = await remainingQuota(deps, ws.tenantId, Number(current?.size ?? 0));
  if (options.contentLength !== undefined && options.contentLength > allowance) throw quotaExceeded();
  const staged = await stageBody(ws, segments, body, { maxFileBytes, allowance });
  const [written] = await commitStaged(deps, ws, [staged], options);
  return written!;
}

/** One part of a multipart upload: a relative file name (folders kept) and its bytes. */
export interface UploadPart {
  filename: string;
  file: Readable;
}

/**
 * Multipart upload into a folder: every file is staged first (limits checked
 * as it streams), then all are committed together, so a refused upload leaves
 * nothing behind.
 */
export async function uploadFiles(
  deps: Deps, ws: Workspace, rawDir: string, parts: AsyncIterable<UploadPart>,
): Promise<WrittenFile[]> {
  const base = parseWorkspacePath(rawDir, { allowRoot: true });
  const staged: StagedFile[] = [];
  const seen = new Set<string>();
  try {
    let allowance = await remainingQuota(deps, ws.tenantId);
    for await (const part of parts) {
      let segments: string[];
      try {
        segments = [...base, ...parseWorkspacePath(part.filename)];
        parseWorkspacePath(segments.join('/'));
      } catch (err) {
        part.file.resume();
        throw err;
      }
      const key = segments.join('/');
      if (seen.has(key)) { part.file.resume(); throw new AppError('conflict', `File ${key} appears twice in the upload`); }
      seen.add(key);
      const s = await stageBody(ws, segments, part.file, { maxFileBytes: deps.config.storage.maxFileBytes, allowance });
      allowance -= s.size;
      staged.push(s);
    }
  } catch (err) {
    await Promise.all(staged.map((s) => fs.rm(s.tmpFile, { force: true })));
    throw err;
  }
  if (!staged.length) throw new AppError('bad_request', 'No files in the upload');
  return commitStaged(deps, ws, staged, { parents: true });
}
