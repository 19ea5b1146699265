import type { FastifyBaseLogger } from 'fastify';
import type { AppContext } from '../../context.js';
import type { AgentActor } from '../../identity/actor.model.js';
import type { MessageWaits } from './message-waits.js';
import type { McpMetrics } from './mcp.metrics.js';

/** What every MCP tool gets: the app, the calling agent, and the request's waits, metrics, log and address. */
export interface ToolContext {
  ctx: AppContext;
  /** Every tool acts as this agent, through the same services and policy as its REST and socket calls. */
  actor: AgentActor;
  waits: MessageWaits;
  metrics: McpMetrics;
  log: FastifyBaseLogger;
  /** The caller's address, for the audit records of changes (as REST records it). */
  ip: string;
}
