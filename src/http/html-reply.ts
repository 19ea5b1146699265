import type { FastifyReply, FastifyRequest } from 'fastify';

export function sendHtml(reply: FastifyReply, body: string, status = 200): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(body);
}

/** True when the request came from an HTML form (answer with pages and redirects, not JSON). */
export function wantsHtml(request: FastifyRequest): boolean {
  const type = request.headers['content-type'] ?? '';
  return type.startsWith('application/x-www-form-urlencoded') || type.startsWith('multipart/form-data');
}

/** Only same-site paths: `//evil.example` and `/\evil` would leave the site. */
export function safeNext(next: string | undefined, fallback = '/dashboard'): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return fallback;
  return next;
}
