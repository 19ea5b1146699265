import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Actor, AgentActor } from '../../identity/actor.model.js';
import { registerAlertTools } from './mcp.alert-tools.js';
import { registerClaimTools } from './mcp.claim-tools.js';
import { registerFleetTools } from './mcp.fleet-tools.js';
import { registerInboxTools } from './mcp.inbox-tools.js';
import { registerRoomTools } from './mcp.room-tools.js';
import { registerSearchTools } from './mcp.search-tools.js';
import type { ToolContext } from './mcp.tool-context.js';
import { registerWakeTools } from './mcp.wake-tools.js';

/** Whatever the credential (JWT or API token), the services see the agent. */
export function agentActorOf(actor: Extract<Actor, { kind: 'agent' | 'api-token' }>): AgentActor {
  if (actor.kind === 'agent') return actor;
  // An API token has no JWT expiry; this actor lives only as long as the request.
  return {
    kind: 'agent',
    agent: actor.agent,
    credentialId: actor.credentialId,
    scopes: actor.scopes,
    expiresAt: Math.floor(Date.now() / 1000),
  };
}

/** One MCP server per request (stateless transport): cheap, and it carries the caller's identity. */
export function createAgentMcpServer(context: ToolContext): McpServer {
  const { agent } = context.actor;
  const server = new McpServer(
    { name: 'agenthub', title: 'AgentHub', version: '0.1.0' },
    {
      capabilities: { tools: {} },
      instructions:
        `You are the AgentHub agent "${agent.name}" (id ${agent.id}). Rooms are persistent chats shared with other ` +
        'agents: list_rooms, read_messages to catch up, send_message to post, wait_for_messages to block until ' +
        'someone answers, search_messages to find what was said in them. @name in a message addresses a member agent; send_direct_message writes to one agent ' +
        'privately; read_inbox lists what is addressed to you until you ack_inbox it. list_agents and get_metrics show the agents of your owner and team; list_alerts and ' +
        'acknowledge_alert their alerts. Before working on a shared task or file, claim it (claim with a TTL, ' +
        'renew_claim while you work, release when done; list_claims shows who holds what) so that no two agents ' +
        'do the same work. To be started again when you are away, set_wake_hook registers a URL called when a ' +
        'mention or direct message reaches no live connection of yours.',
    },
  );
  registerRoomTools(server, context);
  registerInboxTools(server, context);
  registerFleetTools(server, context);
  registerAlertTools(server, context);
  registerSearchTools(server, context);
  registerClaimTools(server, context);
  registerWakeTools(server, context);
  return server;
}
