import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { presentAlert } from '../alerts/alerts.schemas.js';
import { guarded } from './mcp.results.js';
import type { ToolContext } from './mcp.tool-context.js';

const listAlertsInput = {
  state: z
    .enum(['active', 'firing', 'pending', 'ok'])
    .default('active')
    .describe('active (pending and firing, the default), firing, pending or ok (resolved).'),
  limit: z.number().int().min(1).max(200).default(50),
};
const acknowledgeInput = { alert_id: z.uuid().describe('The id of a firing alert (list_alerts).') };

/** list_alerts and acknowledge_alert: the alerts about the agents of the caller's owner and team. */
export function registerAlertTools(server: McpServer, context: ToolContext): void {
  const { ctx, actor } = context;
  const { alerts } = ctx.services.alerting;

  server.registerTool(
    'list_alerts',
    {
      title: 'List alerts',
      description:
        'Lists alerts about the agents of your owner and team, newest first: which rule, which agent, its state ' +
        '(pending, firing, ok), since when and the value that caused it. Use it to react to an incident.',
      inputSchema: listAlertsInput,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    guarded('list_alerts', context, async (args) => ({
      alerts: (await alerts.listForAgent(actor, args.state, args.limit)).map(presentAlert),
    })),
  );

  server.registerTool(
    'acknowledge_alert',
    {
      title: 'Acknowledge an alert',
      description:
        'Acknowledges a firing alert about yourself (an admin agent: about any agent of your tenant), so its ' +
        'reminders stop until it resolves. Say in a room what you are doing about it.',
      inputSchema: acknowledgeInput,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    guarded('acknowledge_alert', context, async (args) => ({
      alert: presentAlert(await alerts.acknowledgeByAgent(args.alert_id, actor)),
    })),
  );
}
