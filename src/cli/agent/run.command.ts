import { SystemCollector } from './collect.js';
import { AgentCliError } from './errors.js';
import { acquireRunLock } from './lock.js';
import { consoleLog } from './log.js';
import { MetricsAgent } from './metrics-agent.js';
import { parseInterval, parsePositiveInt } from './options.js';
import { openSession } from './session.js';
import { Spool } from './spool.js';

export interface RunOptions {
  once?: boolean;
  ticks?: string;
  interval?: string;
  spoolMax?: string;
  verbose?: boolean;
}

/** `agenthub agent run`: sends system metrics every interval until stopped (or for --ticks). */
export async function runCommand(options: RunOptions): Promise<void> {
  if (options.once && options.ticks) throw new AgentCliError('--once and --ticks: pick one.');
  const ticks = options.once ? 1 : options.ticks ? parsePositiveInt(options.ticks, '--ticks') : undefined;
  const session = openSession();
  const { config, store } = session;
  const intervalSeconds = options.interval ? parseInterval(options.interval) : config.interval;
  const spoolMax = options.spoolMax ? parsePositiveInt(options.spoolMax, '--spool-max') : config.spool_max;
  const release = acquireRunLock(store.dir);
  const agent = new MetricsAgent(session, new Spool(store.spool, spoolMax), new SystemCollector(), consoleLog, {
    intervalMs: intervalSeconds * 1000,
    ticks,
    verbose: options.verbose ?? false,
  });
  const stop = (signal: NodeJS.Signals) => {
    consoleLog.info(`${signal}: stopping after the current tick (again to abort it).`);
    agent.stop();
  };
  process.on('SIGINT', stop).on('SIGTERM', stop);
  consoleLog.info(
    `Sending metrics to ${config.server} as server_id ${config.server_id} every ${intervalSeconds} s` +
      (ticks ? ` (${ticks} ticks).` : '.'),
  );
  try {
    const summary = await agent.run();
    // One machine-readable line: what was collected and where it all went.
    console.log(JSON.stringify({ event: 'summary', ...summary }));
  } finally {
    process.off('SIGINT', stop).off('SIGTERM', stop);
    release();
  }
}
