import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import { userOf } from '../identity/http/request-actor.js';
import { csrfToken } from '../identity/http/csrf.js';
import { sendHtml } from '../http/html-reply.js';
import { AppError } from '../lib/errors.js';
import type { UserActor } from '../identity/actor.model.js';
import { errorPage } from './layout.js';

/**
 * Runs a page's work for the signed-in person and answers its refusals
 * (404 outside the tenant, 403, 409...) as pages, not the JSON error envelope.
 */
export async function asPage(
  config: Config,
  request: FastifyRequest,
  reply: FastifyReply,
  work: (actor: UserActor) => Promise<unknown>,
): Promise<unknown> {
  const actor = userOf(request);
  try {
    return await work(actor);
  } catch (error) {
    if (!(error instanceof AppError) || error.statusCode >= 500) throw error;
    const csrf = csrfToken(request, reply, config);
    const title = error.statusCode === 404 ? 'Not found' : error.statusCode === 403 ? 'Not allowed' : 'Not done';
    return sendHtml(reply, errorPage({ title, message: error.message, user: actor.user, csrf }), error.statusCode);
  }
}

/** Pages answer signed-out visitors with the sign-in page, then bring them back. */
export function signInFirst(request: FastifyRequest, reply: FastifyReply): FastifyReply | undefined {
  if (request.actor?.kind === 'user') return undefined;
  return reply.redirect(`/login?next=${encodeURIComponent(request.url)}`, 303);
}
