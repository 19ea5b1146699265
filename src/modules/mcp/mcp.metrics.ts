import { Counter, Gauge, type Registry } from 'prom-client';

/** The MCP endpoint's own series, on the app's registry (created once per app, with its routes). */
export function createMcpMetrics(registry: Registry) {
  const registers = [registry];
  return {
    toolCalls: new Counter({
      name: 'agenthub_mcp_tool_calls_total',
      help: 'MCP tool calls that passed argument validation, by tool and result (ok, error).',
      labelNames: ['tool', 'result'] as const,
      registers,
    }),
    waitsBlocked: new Gauge({
      name: 'agenthub_mcp_waits_pending',
      help: 'wait_for_messages long-polls on this instance with nothing new yet, waiting for a message.',
      registers,
    }),
  };
}

export type McpMetrics = ReturnType<typeof createMcpMetrics>;
