import { Command, Option } from 'commander';
import { withServices } from './with-services.js';

interface ListOptions {
  state: 'active' | 'firing' | 'pending' | 'ok';
  limit: string;
  json?: boolean;
}

async function listAlerts(options: ListOptions): Promise<void> {
  const limit = Number(options.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 200) throw new Error('--limit: a whole number from 1 to 200');
  await withServices(async ({ alerting }) => {
    const { alerts } = await alerting.alerts.listAll({ state: options.state, limit });
    if (options.json) {
      const { presentAlert } = await import('../modules/alerts/alerts.schemas.js');
      console.log(JSON.stringify({ alerts: alerts.map(presentAlert) }, null, 2));
      return;
    }
    if (alerts.length === 0) {
      console.log(`No ${options.state} alerts.`);
      return;
    }
    for (const a of alerts)
      console.log(
        [
          a.state.toUpperCase().padEnd(7),
          a.severity.padEnd(8),
          a.since.toISOString(),
          `${a.ruleName} on ${a.agentName}`,
          a.value ?? '',
        ]
          .join('  ')
          .trimEnd(),
      );
  });
}

/** `agenthub alerts list`: the server's alerts, read from its database (run it where the server runs). */
export function alertsCommand(): Command {
  const alerts = new Command('alerts').description('Alerts on this server (reads the configured database).');
  alerts
    .command('list')
    .description('List alerts, newest first: pending and firing by default.')
    .addOption(
      new Option('--state <state>', 'which alerts').choices(['active', 'firing', 'pending', 'ok']).default('active'),
    )
    .option('--limit <n>', 'at most this many', '50')
    .option('--json', 'print JSON')
    .action(listAlerts);
  return alerts;
}
