import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.js';
import { createTestApp } from '../harness/app.js';
import { runCli } from '../harness/cli.js';
import { preloadEmbeddedDatabase } from '../harness/data-dir.js';
import { withDatabase } from '../harness/global-setup.js';
import { adminUrl } from '../harness/postgres.js';
import { makeTempDir } from '../harness/temp-dir.js';
import { signInAdmin } from '../harness/identity.js';
import { createIngestingAgent, nowSeconds } from '../harness/metrics.js';
import { createChannel, createRule, postCpu } from '../harness/alerts.js';

const postgresUrl = process.env['TEST_DATABASE_URL'];

async function withAdmin(work: (client: pg.Client) => Promise<unknown>) {
  const client = new pg.Client({ connectionString: adminUrl(postgresUrl ?? '') });
  await client.connect();
  try {
    await work(client);
  } finally {
    await client.end();
  }
}

describe('agenthub alerts list (command line)', () => {
  const dir = makeTempDir('cli-alerts');
  const databaseName = `agenthub_cli_${randomBytes(5).toString('hex')}`;
  const env: Record<string, string> = { DATA_DIR: dir.path, LOG_LEVEL: 'warn' };
  let agentName = '';

  beforeAll(async () => {
    if (postgresUrl) {
      await withAdmin((admin) => admin.query(`create database "${databaseName}"`));
      env['DATABASE_URL'] = withDatabase(postgresUrl, databaseName);
    } else {
      await preloadEmbeddedDatabase(dir.path);
    }
    const database = postgresUrl
      ? await openDatabase({ url: env['DATABASE_URL'] })
      : await openDatabase({ dataDir: join(dir.path, 'pglite') });
    const { runMigrations } = await import('../../src/db/migrate.js');
    await runMigrations(database);
    const t = await createTestApp({ database, config: { ALERT_WEBHOOK_ALLOW_PRIVATE: true } });
    try {
      const admin = await signInAdmin(t);
      const agent = await createIngestingAgent(t, admin);
      agentName = agent.agent.name;
      const { channel } = await createChannel(t, admin, { kind: 'webhook', name: 'h', url: 'http://127.0.0.1:9/hook' });
      await createRule(t, admin, {
        name: 'cpu high',
        kind: 'metric_threshold',
        agent_id: agent.agent.id,
        path: 'cpu.usage',
        op: '>',
        threshold: 90,
        for: 0,
        severity: 'critical',
        channel_ids: [channel.id],
      });
      await postCpu(t, agent, nowSeconds(), [[0, 99]]);
      await t.ctx.services.alerting.evaluation.evaluateAll();
    } finally {
      await t.close();
      await database.close();
    }
  }, 120_000);
  afterAll(async () => {
    if (postgresUrl) await withAdmin((admin) => admin.query(`drop database if exists "${databaseName}" with (force)`));
    dir.remove();
  });

  it('prints the firing alert, as text and as JSON', async () => {
    const text = await runCli(['alerts', 'list'], env);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^FIRING\\s+critical\\s+\\S+\\s+cpu high on ${agentName}\\s+99$`, 'm'));
    const json = await runCli(['alerts', 'list', '--state', 'firing', '--json'], env);
    expect(JSON.parse(json.stdout)).toMatchObject({ alerts: [{ state: 'firing', rule_name: 'cpu high', value: 99 }] });
    const none = await runCli(['alerts', 'list', '--state', 'ok'], env);
    expect(none.stdout.trim()).toBe('No ok alerts.');
    const bad = await runCli(['alerts', 'list', '--state', 'loud'], env);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('--state');
  });
});
