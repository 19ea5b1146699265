import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startServer } from './processes.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A webhook receiver that holds every request open (answers nothing) until `release()`, then answers each 200,
 * counting the 2xx answers per `x-agenthub-delivery` key: what a crash during delivery must not lose or double.
 */
export async function startHoldingReceiver(path: string) {
  let holding = true;
  const held: string[] = [];
  const answered = new Map<string, number>();
  const receiver = createServer((req, res) => {
    const key = String(req.headers['x-agenthub-delivery']);
    req.resume();
    req.on('end', () => {
      if (holding) {
        held.push(key);
        return; // never answered: the sender's timeout or the crash ends it
      }
      answered.set(key, (answered.get(key) ?? 0) + 1);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}${path}`,
    held,
    answered,
    release: () => {
      holding = false;
    },
    close: async () => {
      receiver.closeAllConnections();
      await new Promise<void>((resolve) => receiver.close(() => resolve()));
    },
  };
}

export type HoldingReceiver = Awaited<ReturnType<typeof startHoldingReceiver>>;

/**
 * The crash: a server on `env` runs until the receiver holds `expected` distinct deliveries (after `whileUp`,
 * e.g. posting what triggers them), is killed with SIGKILL, and a new one on the same database runs until every
 * held key was answered, plus 3 s for a duplicate to show itself, then stops.
 */
export async function crashWhileHeld(
  receiver: HoldingReceiver,
  {
    env,
    base,
    expected,
    whileUp,
  }: { env: Record<string, string>; base: string; expected: number; whileUp?: () => Promise<void> },
): Promise<void> {
  let server = await startServer(env, base);
  await whileUp?.();
  const deadline = Date.now() + 30_000;
  while (new Set(receiver.held).size < expected && Date.now() < deadline) await sleep(100);
  if (new Set(receiver.held).size < expected)
    throw new Error(`the receiver held ${new Set(receiver.held).size} of ${expected} deliveries before the crash`);

  server.child.kill('SIGKILL');
  await server.exited();
  receiver.release();
  server = await startServer(env, base);
  const until = Date.now() + 60_000;
  while (receiver.answered.size < expected && Date.now() < until) await sleep(200);
  await sleep(3000);
  server.child.kill('SIGTERM');
  await server.exited();
}
