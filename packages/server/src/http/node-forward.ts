import http from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** Set on requests one node forwards to another, so they are never forwarded again. */
export const FORWARDED_HEADER = 'x-coditect-forwarded-by';

export const wasForwarded = (request: { headers: http.IncomingHttpHeaders }): boolean => Boolean(request.headers[FORWARDED_HEADER]);

/**
 * Replays a body-less API request (open/status/stop of a workspace) on the
 * node that owns the workspace and streams its answer back, cookies included.
 */
export function forwardToNode(request: FastifyRequest, reply: FastifyReply, nodeUrl: string, fromNode: string): void {
  reply.hijack();
  const target = new URL(request.url, nodeUrl);
  const headers = { ...request.headers, [FORWARDED_HEADER]: fromNode };
  delete headers['content-length'];
  const upstream = http.request(target, { method: request.method, headers }, (res) => {
    reply.raw.writeHead(res.statusCode ?? 502, res.headers);
    res.pipe(reply.raw);
  });
  upstream.on('error', (err) => {
    request.log.warn({ err: err.message, nodeUrl }, 'forward to owner node failed');
    if (!reply.raw.headersSent) {
      reply.raw.writeHead(502, { 'content-type': 'application/json' });
      reply.raw.end(JSON.stringify({ error: { code: 'workspace_unavailable', message: 'The node running this workspace is unreachable', requestId: request.id } }));
    } else reply.raw.destroy();
  });
  upstream.end();
}
