import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestApp } from '../harness/app.js';
import { createUser, signInAdmin, type Person } from '../harness/identity.js';
import { closeAllMcp, connectMcp } from '../harness/mcp.js';
import { createIngestingAgent, nowSeconds, type IngestingAgent } from '../harness/metrics.js';
import { createChannel, createRule, postCpu, startReceiver } from '../harness/alerts.js';

interface McpAlert {
  id: string;
  agent_id: string;
  state: string;
  rule_name: string;
}

describe('MCP list_alerts and acknowledge_alert', () => {
  let t: TestApp & { url: string };
  let admin: Person;
  let owner: Person;
  let stranger: Person;
  let mine: IngestingAgent;
  let sibling: IngestingAgent;
  let theirs: IngestingAgent;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  beforeAll(async () => {
    t = await startTestServer({ config: { ALERT_WEBHOOK_ALLOW_PRIVATE: true } });
    admin = await signInAdmin(t);
    owner = await createUser(t, admin);
    stranger = await createUser(t, admin);
    receiver = await startReceiver();
    mine = await createIngestingAgent(t, admin, { owner });
    sibling = await createIngestingAgent(t, admin, { owner });
    theirs = await createIngestingAgent(t, admin, { owner: stranger });
    for (const [person, agent] of [
      [owner, mine],
      [owner, sibling],
      [stranger, theirs],
    ] as const) {
      const { channel } = await createChannel(t, person, { kind: 'webhook', name: 'h', url: receiver.url });
      await createRule(t, person, {
        name: `cpu ${agent.serverId}`,
        kind: 'metric_threshold',
        agent_id: agent.agent.id,
        path: 'cpu.usage',
        op: '>',
        threshold: 90,
        for: 0,
        channel_ids: [channel.id],
      });
      await postCpu(t, agent, nowSeconds(), [[0, 99]]);
    }
    await t.ctx.services.alerting.evaluation.evaluateAll();
  });
  afterAll(async () => {
    await closeAllMcp();
    await receiver.close();
    await t.close();
  });

  it('lists the alerts of its tenant only, and acknowledges its own', async () => {
    const mcp = await connectMcp(t.url, mine.jwt);
    const { alerts } = await mcp.ok<{ alerts: McpAlert[] }>('list_alerts');
    expect(alerts.map((a) => a.agent_id).sort()).toEqual([mine.agent.id, sibling.agent.id].sort());
    const own = alerts.find((a) => a.agent_id === mine.agent.id);
    const acked = await mcp.ok<{ alert: { acknowledged_at: string | null } }>('acknowledge_alert', {
      alert_id: own?.id,
    });
    expect(acked.alert.acknowledged_at).not.toBeNull();

    // A plain agent may not take its sibling's alert, and a stranger's alert does not exist for it.
    const siblingAlert = alerts.find((a) => a.agent_id === sibling.agent.id);
    expect(await mcp.fails('acknowledge_alert', { alert_id: siblingAlert?.id })).toMatch(/not found/i);
    const strangers = await t.app.inject({ url: '/api/v1/alerts', headers: stranger.headers });
    const theirAlert = strangers.json<{ alerts: McpAlert[] }>().alerts[0];
    expect(theirAlert?.agent_id).toBe(theirs.agent.id);
    expect(await mcp.fails('acknowledge_alert', { alert_id: theirAlert?.id })).toMatch(/not found/i);
  });
});
