import type { FastifyReply } from 'fastify';

/**
 * Takes the response over from Fastify (streams, transports that write it themselves) keeping the headers
 * our hooks set on the reply — security headers, request id, rate limits — which Fastify would otherwise
 * write only when it sends the reply itself.
 */
export function hijackKeepingHeaders(reply: FastifyReply): void {
  reply.hijack();
  for (const [name, value] of Object.entries(reply.getHeaders()))
    if (value !== undefined) reply.raw.setHeader(name, value);
}
