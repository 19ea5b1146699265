import { readFileSync } from 'node:fs';
import type { ServerProcess } from './processes.js';
import {
  closeAll,
  connectMany,
  quiesce,
  runFixedRate,
  type ClientTarget,
  type Connected,
  type RateResult,
} from './room-clients.js';

export interface RoomRuns {
  fixed: RateResult[];
  sweep: RateResult[];
  /** The highest sweep rate that was sustained; 0 when even the first step was not. */
  sustained: number;
}

export interface IdleResult extends Omit<Connected, 'sockets'> {
  count: number;
  /** Server VmRSS in kB before the first socket and after the last one settled. */
  before: number;
  after: number;
  perSocketKb: number;
}

export interface RunSettings {
  sizes: number[];
  durationSeconds: number;
  /** The fixed send rate for a room of `members`. */
  rateFor(members: number): number;
  senders: number;
  bodyBytes: number;
  drainMs: number;
  connectConcurrency: number;
  sweepMembers: number;
  /** The first sweep rate (msg/s), low enough that a loaded server still sustains it. */
  sweepStart: number;
  stepSeconds: number;
  sweepFactor: number;
  sweepMaxSteps: number;
  sweepP99LimitMs: number;
}

/** A server (or a pair) under load: the room of each size and how its members connect. */
export interface Target {
  label: string;
  /** Where the members connect. */
  url: string;
  /** Where the senders connect instead, when they are to be on another instance than the receivers. */
  senderUrl?: string;
  clients(members: number): ClientTarget[];
  roomId(members: number): string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A sweep step is sustained when everything drains, nothing is refused, ≥ 95% of the rate was sent and p99 stays low. */
export const sustainsWithin = (p99LimitMs: number) => (r: RateResult) =>
  r.drained && r.refused === 0 && r.achievedRate >= 0.95 * r.targetRate && r.p99 <= p99LimitMs;

/** Connects a room's members, the first `senders` of them to `target.senderUrl` when set. */
async function connectRoom(target: Target, members: number, s: RunSettings) {
  const clients = target.clients(members);
  const groups = target.senderUrl
    ? [
        { url: target.senderUrl, clients: clients.slice(0, s.senders) },
        { url: target.url, clients: clients.slice(s.senders) },
      ]
    : [{ url: target.url, clients }];
  const sockets = [];
  for (const group of groups) {
    const connected = await connectMany(group.url, group.clients, s.connectConcurrency);
    sockets.push(...connected.sockets);
    if (connected.failed) {
      closeAll(sockets);
      throw new Error(`${target.label}: ${connected.failed} sockets failed: ${connected.firstError}`);
    }
  }
  return sockets;
}

/** Fixed-rate runs per room size and, when `sweep`, the rate sweep on `sweepMembers`. */
export async function roomRuns(target: Target, s: RunSettings, { sweep }: { sweep: boolean }): Promise<RoomRuns> {
  const result: RoomRuns = { fixed: [], sweep: [], sustained: 0 };
  const sustains = sustainsWithin(s.sweepP99LimitMs);
  for (const members of [...new Set([...s.sizes, ...(sweep ? [s.sweepMembers] : [])])]) {
    const sockets = await connectRoom(target, members, s);
    await sleep(1000); // presence diffs of the joins settle first
    const base = {
      senders: sockets.slice(0, s.senders),
      members,
      roomId: target.roomId(members),
      drainMs: s.drainMs,
      bodyBytes: s.bodyBytes,
    };
    if (s.sizes.includes(members)) {
      const rate = s.rateFor(members);
      console.log(`${target.label}: ${members} members, ${rate} msg/s for ${s.durationSeconds} s...`);
      result.fixed.push(await runFixedRate({ ...base, rate, durationSeconds: s.durationSeconds }));
      await quiesce();
    }
    if (sweep && members === s.sweepMembers) {
      let rate = s.sweepStart;
      for (let step = 0; step < s.sweepMaxSteps; step++, rate = Math.round(rate * s.sweepFactor)) {
        console.log(`${target.label}: sweep, ${members} members, ${rate} msg/s for ${s.stepSeconds} s...`);
        const run = await runFixedRate({ ...base, rate, durationSeconds: s.stepSeconds });
        result.sweep.push(run);
        await quiesce();
        if (!sustains(run)) break;
        result.sustained = rate;
      }
    }
    closeAll(sockets);
    await sleep(1000);
  }
  return result;
}

function rssKb(pid: number | undefined): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m);
  return Number(line?.[1] ?? Number.NaN);
}

/**
 * Holds `clients` idle sockets on a fresh server process and reads its RSS
 * before and after. A warm-up batch connects and leaves first, so code loaded
 * and compiled on the first handshakes is not counted per socket.
 */
export async function idleRun(
  server: ServerProcess,
  clients: ClientTarget[],
  concurrency: number,
): Promise<IdleResult> {
  const warmUp = await connectMany(server.url, clients.slice(0, 100), concurrency);
  closeAll(warmUp.sockets);
  await sleep(3000);
  const before = rssKb(server.child.pid);
  const connected = await connectMany(server.url, clients, concurrency);
  await sleep(3000);
  const after = rssKb(server.child.pid);
  closeAll(connected.sockets);
  return {
    ...connected,
    count: connected.sockets.length,
    before,
    after,
    perSocketKb: (after - before) / connected.sockets.length,
  };
}
