import type { FastifyRequest } from 'fastify';
import { unauthorized } from '../../lib/errors.js';
import type { Actor, AgentActor, UserActor } from '../actor.model.js';

/** The guard already admitted the caller; these narrow its type for the handler. */
export function actorOf(request: FastifyRequest): Actor {
  if (!request.actor) throw unauthorized();
  return request.actor;
}

export function userOf(request: FastifyRequest): UserActor {
  const actor = request.actor;
  if (actor?.kind !== 'user') throw unauthorized('Sign in first.');
  return actor;
}

export function agentOf(request: FastifyRequest): AgentActor {
  const actor = request.actor;
  if (actor?.kind !== 'agent') throw unauthorized('An agent access token is required.');
  return actor;
}
