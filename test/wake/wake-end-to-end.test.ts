import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver, verifySignature } from '../harness/alerts.js';
import { startTestServer, type TestApp } from '../harness/app.js';
import { direct, eventually, inbox, recipientRows } from '../harness/coordination.js';
import { createUser, signInAdmin, type Person } from '../harness/identity.js';
import { createRoom, createRoomAgent, type RoomAgent, type WireRoom } from '../harness/rooms.js';
import { closeAllSockets, connectAgent } from '../harness/sockets.js';
import { setWakeHook, wakeRound } from '../harness/wake.js';

/** The real send path writes the recipient rows and the socket layer marks delivery; the wake scan reads both. */
describe('wake hooks end to end: a real mention and a direct message reach a disconnected agent', () => {
  let t: TestApp & { url: string };
  let admin: Person;
  let owner: Person;
  let room: WireRoom;
  let sender: RoomAgent;
  let sleeper: RoomAgent;
  let live: RoomAgent;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const secrets = new Map<string, string>();

  beforeAll(async () => {
    receiver = await startReceiver();
    t = await startTestServer({ config: { WAKE_HOOK_ALLOW_PRIVATE: true, WAKE_DELIVERY_TIMEOUT_MS: 1000 } });
    admin = await signInAdmin(t);
    owner = await createUser(t, admin);
    room = await createRoom(t, owner);
    const suffix = Math.random().toString(36).slice(2, 7);
    sender = await createRoomAgent(t, admin, { owner, rooms: [room.id], name: `planner-${suffix}` });
    sleeper = await createRoomAgent(t, admin, { owner, rooms: [room.id], name: `sleeper-${suffix}` });
    live = await createRoomAgent(t, admin, { owner, rooms: [room.id], name: `live-${suffix}` });
    for (const agent of [sleeper, live])
      secrets.set(agent.agent.id, (await setWakeHook(t, agent, { url: receiver.url, coalesce_seconds: 0 })).secret);
  });
  afterAll(async () => {
    closeAllSockets();
    await t.close();
    await receiver.close();
  });

  it('calls the hook of the mentioned agent that was away, once, and never the one that was connected', async () => {
    // The sleeper was connected once and went away; the live agent stays connected.
    const before = await connectAgent(t.url, sleeper.jwt);
    before.socket.disconnect();
    await before.disconnected;
    await connectAgent(t.url, live.jwt);
    const talker = await connectAgent(t.url, sender.jwt);
    const sent = await talker.send(room.id, `@${sleeper.agent.name} and @${live.agent.name}: the schema is ready`);
    expect(sent).toMatchObject({ ok: true });
    if (!sent.ok) throw new Error(sent.error);
    const messageId = (sent as unknown as { message: { id: string } }).message.id;
    await eventually('the live agent’s delivery mark', async () =>
      (await recipientRows(t, room.id)).find((r) => r.agent_id === live.agent.id && r.delivered_at),
    );

    expect((await wakeRound(t)).queued).toBe(1);
    expect(receiver.received).toHaveLength(1);
    const [call] = receiver.received;
    expect(
      verifySignature(secrets.get(sleeper.agent.id) ?? '', call?.raw ?? '', call?.headers['x-agenthub-signature']),
    ).toBe(true);
    expect(call?.body).toMatchObject({
      type: 'wake',
      agent: { id: sleeper.agent.id, name: sleeper.agent.name },
      count: 1,
      messages: [{ id: messageId, room_id: room.id, reason: 'mention', sender: { id: sender.agent.id } }],
    });
    // Later rounds never call again for it; the sleeper finds it in its inbox when it comes back.
    await wakeRound(t, new Date(Date.now() + 600_000));
    expect(receiver.received).toHaveLength(1);
    expect((await inbox(t, sleeper)).items.map((i) => i.message.id)).toContain(messageId);
  });

  it('wakes the recipient of a direct message sent while it is away', async () => {
    const calls = receiver.received.length;
    const { message } = await direct(t, sender, sleeper.agent.id, 'a word in private');
    expect((await wakeRound(t, new Date(Date.now() + 700_000))).queued).toBe(1);
    expect(receiver.received).toHaveLength(calls + 1);
    expect(receiver.received.at(-1)?.body).toMatchObject({
      agent: { id: sleeper.agent.id },
      messages: [{ id: message.id, reason: 'direct' }],
    });
  });
});
