import { existsSync } from 'node:fs';
import { describeFailure, isCredentialsRejected, credentialsRejected, isTransient } from './errors.js';
import { openSession } from './session.js';
import { Spool } from './spool.js';

function ago(iso: string | undefined): string {
  if (!iso) return 'never';
  const seconds = Math.round((Date.now() - Date.parse(iso)) / 1000);
  return `${iso} (${relative(-seconds)})`;
}

function relative(seconds: number): string {
  const abs = Math.abs(seconds);
  const span = abs < 90 ? `${abs} s` : abs < 5400 ? `${Math.round(abs / 60)} min` : `${Math.round(abs / 3600)} h`;
  return seconds >= 0 ? `in ${span}` : `${span} ago`;
}

/** `agenthub agent status`: who the server says we are, and the local state. */
export async function statusCommand(options: { json?: boolean }): Promise<void> {
  const session = openSession();
  const { config, store, client } = session;
  let agent: Awaited<ReturnType<typeof client.me>>['agent'] | undefined;
  let problem: unknown;
  try {
    agent = (await client.me()).agent;
  } catch (error) {
    if (!isCredentialsRejected(error) && !isTransient(error)) throw error;
    problem = error;
  }
  const expiresAt = client.tokens?.expiresAt;
  const report = {
    agent: agent ?? null,
    server: config.server,
    server_id: config.server_id,
    interval: config.interval,
    labels: config.labels,
    config_dir: store.dir,
    last_success_at: store.readState().last_success_at ?? null,
    spool_depth: existsSync(store.spool) ? new Spool(store.spool, config.spool_max).depth : 0,
    access_token_expires_at: expiresAt ? new Date(expiresAt).toISOString() : null,
    error: problem === undefined ? null : describeFailure(problem),
  };
  if (options.json) console.log(JSON.stringify(report));
  else {
    const labels = Object.entries(config.labels).map(([k, v]) => `${k}=${v}`);
    const lines: [string, string][] = [
      ['Agent', agent ? `${agent.name} (${agent.id})` : `unknown: ${report.error ?? ''}`],
      ['Server', config.server],
      ['Server ID', config.server_id],
      ['Interval', `${config.interval} s`],
      ['Labels', labels.length > 0 ? labels.join(', ') : 'none'],
      ['Config dir', store.dir],
      ['Last send', ago(report.last_success_at ?? undefined)],
      ['Spool', `${report.spool_depth} snapshots waiting`],
      [
        'Access token',
        expiresAt
          ? `${expiresAt > Date.now() ? 'expires' : 'expired'} ${report.access_token_expires_at ?? ''} (${relative(Math.round((expiresAt - Date.now()) / 1000))})`
          : 'none yet',
      ],
    ];
    for (const [key, value] of lines) console.log(`${`${key}:`.padEnd(14)}${value}`);
  }
  if (isCredentialsRejected(problem)) throw credentialsRejected(problem);
  if (problem !== undefined) process.exitCode = 1;
}
