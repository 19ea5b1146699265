import type { AgentHubClient, Message, RealtimeClient } from '../../client/index.js';
import { isCredentialsRejected, credentialsRejected, toCliError } from './errors.js';
import { parsePositiveInt } from './options.js';
import { openSession } from './session.js';

interface SendFlags {
  replyTo?: string;
}

const sendOptions = (flags: SendFlags) =>
  flags.replyTo === undefined ? {} : { replyToSeq: parsePositiveInt(flags.replyTo, '--reply-to') };

async function printSent(send: () => Promise<{ message: Message }>): Promise<void> {
  try {
    console.log(JSON.stringify((await send()).message));
  } catch (error) {
    throw toCliError(error);
  }
}

/** `agenthub agent send --room ROOM TEXT`: posts over REST (retry-safe with a client_msg_id). */
export function sendCommand(text: string[], options: SendFlags & { room: string }): Promise<void> {
  const { client } = openSession();
  const send = sendOptions(options);
  return printSent(() => client.postMessage(options.room, text.join(' '), send));
}

/** `agenthub agent dm AGENT_ID TEXT`: a direct message, into the pair's private room; prints it as JSON. */
export function dmCommand(agentId: string, text: string[], options: SendFlags): Promise<void> {
  const { client } = openSession();
  const send = sendOptions(options);
  return printSent(() => client.sendDirect(agentId, text.join(' '), send));
}

type Outcome = 'signal' | 'kicked';

/**
 * `agenthub agent listen --room ROOM`: one JSON line per message until SIGINT.
 * The SDK replays what a dropped connection missed; when the server itself
 * ends the session, the credentials are checked and a new one resumes where
 * the last left off.
 */
export async function listenCommand(options: { room: string }): Promise<void> {
  const { client } = openSession();
  let signalled: () => void = () => undefined;
  const stopped = new Promise<Outcome>((resolve) => (signalled = () => resolve('signal')));
  process.once('SIGINT', signalled).once('SIGTERM', signalled);
  try {
    const { room } = await client.getRoom(options.room);
    let positions: Record<string, number> = {};
    for (let first = true; ; first = false) {
      const realtime = client.realtime({ since: positions });
      const kicked = new Promise<Outcome>((resolve) =>
        realtime.on('disconnected', (reason) => reason === 'io server disconnect' && resolve('kicked')),
      );
      realtime.on('message', (message: Message) => {
        if (message.room_id === room.id) console.log(JSON.stringify(message));
      });
      realtime.on('error', (error) => console.error(`listen: ${error.message}`));
      try {
        await connect(realtime, room.id, first);
      } catch (error) {
        realtime.close();
        throw error;
      }
      console.error(`Listening to room ${room.slug} (${room.id}); Ctrl-C to stop.`);
      const outcome = await Promise.race([stopped, kicked]);
      positions = realtime.positions();
      realtime.close();
      if (outcome === 'signal') return;
      await ensureStillAccepted(client);
      console.error('The server closed the connection; reconnecting.');
      await Promise.race([stopped, new Promise((r) => setTimeout(r, 1000))]);
    }
  } catch (error) {
    throw toCliError(error);
  } finally {
    process.off('SIGINT', signalled).off('SIGTERM', signalled);
  }
}

async function connect(realtime: RealtimeClient, roomId: string, first: boolean): Promise<void> {
  await realtime.connect();
  // The first join checks membership (403 otherwise) and sets the starting point.
  if (first) await realtime.join(roomId);
}

/** A server-side disconnect is how a revoked agent is told: exit 3 then, rather than reconnect forever. */
async function ensureStillAccepted(client: AgentHubClient): Promise<void> {
  try {
    await client.me();
  } catch (error) {
    if (isCredentialsRejected(error)) throw credentialsRejected(error);
  }
}
