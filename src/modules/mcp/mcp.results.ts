import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { FastifyBaseLogger } from 'fastify';
import { AppError, fromDatabaseError } from '../../lib/errors.js';
import type { ToolContext } from './mcp.tool-context.js';

/** A tool's answer: JSON text for the model, the same object as structured content for programs. */
export function toolResult(data: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(data) }], structuredContent: data };
}

/**
 * A failure as an MCP tool error (isError), never a protocol error or a 500:
 * domain errors keep their message and code; anything else is logged and
 * answered without internals.
 */
export function toolError(error: unknown, log: FastifyBaseLogger, tool: string): CallToolResult {
  let text: string;
  const database = fromDatabaseError(error);
  if (error instanceof AppError) text = `${error.message} (${error.code})`;
  else if (database) {
    log.warn({ err: { message: (error as Error).message }, tool }, `mcp tool: database refused (${database.code})`);
    text = `${database.message} (${database.code})`;
  } else {
    log.error({ err: error, tool }, 'mcp tool failed');
    text = 'Internal error; the server logged it. (internal_error)';
  }
  return { content: [{ type: 'text', text }], isError: true };
}

/** Wraps a tool handler so every failure becomes a tool error, and counts the outcome. */
export function guarded<A, E>(
  tool: string,
  { metrics, log }: Pick<ToolContext, 'metrics' | 'log'>,
  handler: (args: A, extra: E) => Promise<Record<string, unknown>>,
): (args: A, extra: E) => Promise<CallToolResult> {
  return async (args, extra) => {
    try {
      const result = toolResult(await handler(args, extra));
      metrics.toolCalls.inc({ tool, result: 'ok' });
      return result;
    } catch (error) {
      metrics.toolCalls.inc({ tool, result: 'error' });
      return toolError(error, log, tool);
    }
  };
}
