import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { presentWakeHook, wakeHookBody } from '../wake/wake-hooks.schemas.js';
import { guarded } from './mcp.results.js';
import type { ToolContext } from './mcp.tool-context.js';

/**
 * set_wake_hook, get_wake_hook, delete_wake_hook: the calling agent's own wake hook, through the same service and
 * the same input schema as `/api/v1/agents/me/wake-hook` (docs/COORDINATION.md#wake-hooks).
 */
export function registerWakeTools(server: McpServer, context: ToolContext): void {
  const { ctx, actor, ip } = context;
  const { hooks } = ctx.services.wake;
  const self = actor.agent.id;

  server.registerTool(
    'set_wake_hook',
    {
      title: 'Set your wake hook',
      description:
        'Registers (or replaces) the URL AgentHub POSTs to when a mention of you or a direct message to you reaches ' +
        'no live connection of yours, so whatever runs you can start you again; then read_inbox. The call is signed ' +
        'with HMAC-SHA256 (X-AgentHub-Signature) under secret: generated when you give none on a new hook and shown ' +
        'in this answer only (store it now; null when an update keeps the stored one).',
      inputSchema: wakeHookBody,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
    },
    guarded('set_wake_hook', context, async (args) => {
      const { hook, secret } = await hooks.set(self, args, { actor, ip });
      return { wake_hook: presentWakeHook(hook), secret };
    }),
  );

  server.registerTool(
    'get_wake_hook',
    {
      title: 'Read your wake hook',
      description:
        'Your wake hook: its URL (origin and last four characters only), whether @room mentions wake you and the ' +
        'coalescing window; wake_hook is null when you have none. Never the secret.',
      inputSchema: {},
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    guarded('get_wake_hook', context, async () => {
      const { hook } = await hooks.get(self, actor);
      return { wake_hook: hook ? presentWakeHook(hook) : null };
    }),
  );

  server.registerTool(
    'delete_wake_hook',
    {
      title: 'Remove your wake hook',
      description:
        'Removes your wake hook: nothing wakes you any more (mentions and direct messages still wait in your inbox). ' +
        'Removing none is not an error.',
      inputSchema: {},
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    },
    guarded('delete_wake_hook', context, async () => {
      await hooks.remove(self, { actor, ip });
      return { wake_hook: null };
    }),
  );
}
