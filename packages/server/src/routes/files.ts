import multipart from '@fastify/multipart';
import {
  API_PREFIX, ArchiveQuery, endpoints, fileStreamEndpoints, IdParams, ReadContentQuery, UploadQuery, WriteContentQuery,
  type PlainEndpoint,
} from '@coditect/contract';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { Deps } from '../deps.js';
import { openArchive } from '../files/archive.js';
import { deleteEntry, makeDirectory, moveEntry } from '../files/file-ops.js';
import { listFiles } from '../files/list-files.js';
import { openDownload } from '../files/read-file.js';
import { openWorkspace, type Workspace } from '../files/workspace-access.js';
import { uploadFiles, writeFile } from '../files/write-file.js';
import { AppError } from '../http/app-error.js';
import type { AuthContext } from '../http/authenticate.js';
import { admit, route, validate } from '../http/route.js';
import { getStorageUsage } from '../storage/snapshot-commands.js';

const header = (request: FastifyRequest, name: string): string | undefined => {
  const v = request.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
};

/** The pipeline of a streaming endpoint: authenticate → validate → open the workspace (404 across tenants). */
async function streamingInput<Q extends z.ZodType>(
  deps: Deps, request: FastifyRequest, endpoint: PlainEndpoint, query: Q,
): Promise<{ ws: Workspace; query: z.output<Q> }> {
  const auth = (await admit(deps, request, endpoint)) as AuthContext;
  const params = validate(IdParams, request.params, 'path') as z.output<typeof IdParams>;
  const q = validate(query, request.query, 'query') as z.output<Q>;
  return { ws: await openWorkspace(deps, auth, params.id), query: q };
}

const url = (p: string) => API_PREFIX + p;

/**
 * Runs an upload handler; when it refuses before the body was read to the
 * end, the connection is closed after the error so no half-read body stays
 * on a keep-alive socket (and shutdown never waits for one).
 */
async function consumingBody<T>(request: FastifyRequest, reply: FastifyReply, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (!request.raw.complete) reply.header('connection', 'close');
    throw err;
  }
}

export async function fileRoutes(app: FastifyInstance, deps: Deps): Promise<void> {
  route(app, deps, endpoints.listFiles, async ({ auth, params, query }) =>
    listFiles(await openWorkspace(deps, auth, params.id), query));
  route(app, deps, endpoints.makeDirectory, async ({ auth, params, body }) =>
    makeDirectory(await openWorkspace(deps, auth, params.id), body));
  route(app, deps, endpoints.moveFile, async ({ auth, params, body }) =>
    moveEntry(deps, await openWorkspace(deps, auth, params.id), body));
  route(app, deps, endpoints.deleteFile, async ({ auth, params, query }) =>
    deleteEntry(deps, await openWorkspace(deps, auth, params.id), query));
  route(app, deps, endpoints.storageUsage, ({ auth }) => getStorageUsage(deps, auth));

  app.get(url(fileStreamEndpoints.readContent.path), async (request, reply) => {
    const { ws, query } = await streamingInput(deps, request, fileStreamEndpoints.readContent, ReadContentQuery);
    const d = await openDownload(ws, query.path, {
      range: header(request, 'range'), ifNoneMatch: header(request, 'if-none-match'), ifRange: header(request, 'if-range'),
    });
    reply.status(d.status).headers(d.headers);
    return reply.send(d.body ?? '');
  });

  app.get(url(fileStreamEndpoints.archive.path), async (request, reply) => {
    const { ws, query } = await streamingInput(deps, request, fileStreamEndpoints.archive, ArchiveQuery);
    const a = await openArchive(ws, query);
    reply.header('content-type', a.contentType)
      .header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(a.filename)}`);
    return reply.send(a.body);
  });

  // Raw bodies: no parser reads them; the handler streams request.raw to disk.
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
    scope.put(url(fileStreamEndpoints.writeContent.path), (request, reply) => consumingBody(request, reply, async () => {
      const { ws, query } = await streamingInput(deps, request, fileStreamEndpoints.writeContent, WriteContentQuery);
      const length = header(request, 'content-length');
      const written = await writeFile(deps, ws, query.path, request.raw, {
        parents: Boolean(query.parents),
        ifMatch: header(request, 'if-match'),
        ifNoneMatch: header(request, 'if-none-match'),
        contentLength: length === undefined ? undefined : Number(length),
      });
      reply.header('etag', written.etag);
      return reply.status(200).send(written);
    }));
  });

  await app.register(async (scope) => {
    await scope.register(multipart, {
      // Our own counter enforces the size limit (413 file_too_large); busboy's is a backstop.
      throwFileSizeLimit: false,
      preservePath: true,
      limits: { fileSize: deps.config.storage.maxFileBytes + 1, files: 10_000, fields: 100, fieldSize: 64 * 1024 },
    });
    scope.post(url(fileStreamEndpoints.upload.path), (request, reply) => consumingBody(request, reply, async () => {
      const { ws, query } = await streamingInput(deps, request, fileStreamEndpoints.upload, UploadQuery);
      if (!request.isMultipart()) {
        throw new AppError('unsupported_media_type', 'Send multipart/form-data');
      }
      const parts = (async function* () {
        for await (const part of request.files()) yield { filename: part.filename, file: part.file };
      })();
      return reply.status(201).send({ items: await uploadFiles(deps, ws, query.path, parts) });
    }));
  });
}
