import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

/** An MCP client session on /mcp, as Claude Code or any SDK client opens one: bearer token in a header. */
export interface McpSession {
  client: Client;
  /** Calls a tool and returns the raw result (errors included). */
  call(name: string, args?: Record<string, unknown>, options?: { signal?: AbortSignal }): Promise<CallToolResult>;
  /** Calls a tool and returns its structured content; throws with the error text on a tool error. */
  ok<T = Record<string, unknown>>(name: string, args?: Record<string, unknown>): Promise<T>;
  /** Calls a tool that must fail and returns the error text. */
  fails(name: string, args?: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

const opened = new Set<McpSession>();

export function mcpUrl(serverUrl: string): URL {
  return new URL('/mcp', serverUrl);
}

/** Connects the SDK's own client over Streamable HTTP (initialize included). */
export async function connectMcp(serverUrl: string, token: string): Promise<McpSession> {
  const client = new Client({ name: 'agenthub-tests', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(mcpUrl(serverUrl), {
    requestInit: { headers: { authorization: `Bearer ${token}` } },
  });
  await client.connect(transport);
  const call = async (name: string, args: Record<string, unknown> = {}, options: { signal?: AbortSignal } = {}) =>
    (await client.callTool({ name, arguments: args }, undefined, {
      timeout: 60_000,
      ...(options.signal ? { signal: options.signal } : {}),
    })) as CallToolResult;
  const session: McpSession = {
    client,
    call,
    async ok<T>(name: string, args: Record<string, unknown> = {}) {
      const result = await call(name, args);
      if (result.isError) throw new Error(`${name} failed: ${textOf(result)}`);
      return result.structuredContent as T;
    },
    async fails(name, args = {}) {
      const result = await call(name, args);
      if (!result.isError) throw new Error(`${name} succeeded: ${textOf(result)}`);
      return textOf(result);
    },
    async close() {
      opened.delete(session);
      await client.close();
    },
  };
  opened.add(session);
  return session;
}

export function textOf(result: CallToolResult): string {
  return result.content.map((c) => (c.type === 'text' ? c.text : `[${c.type}]`)).join('\n');
}

export async function closeAllMcp(): Promise<void> {
  await Promise.all([...opened].map((s) => s.close()));
}

/** A raw JSON-RPC POST to /mcp with the headers a Streamable HTTP client sends. */
export function postMcp(serverUrl: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(mcpUrl(serverUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body: JSON.stringify(body),
  });
}

export const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};
