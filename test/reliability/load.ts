import { randomUUID } from 'node:crypto';
import { readdir, readlink } from 'node:fs/promises';
import { snapshot, type FleetAgent } from '../../bench/lib/fleet.js';
import { AgentHubClient, AgentHubError, type Message } from '../../src/client/index.js';
import type { RealtimeClient } from '../../src/client/realtime.js';

/** One answer seen by a load loop: when, what status (0 = no HTTP answer) and the Retry-After header. */
export interface Answer {
  at: number;
  status: number;
  retryAfter: string | null;
  /** How long the answer took. */
  ms?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** POSTs one snapshot as an agent; status 0 when the request got no HTTP answer (refused, reset, timed out). */
export async function postSample(base: string, agent: FleetAgent, ts: number): Promise<Answer> {
  const start = performance.now();
  try {
    const res = await fetch(`${base}/api/v1/metrics`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${agent.jwt}` },
      body: JSON.stringify({ server_id: agent.serverId, timestamp: ts, metrics: snapshot(Math.floor(ts)) }),
      signal: AbortSignal.timeout(10_000),
    });
    await res.arrayBuffer();
    const ms = performance.now() - start;
    return { at: Date.now(), status: res.status, retryAfter: res.headers.get('retry-after'), ms };
  } catch {
    return { at: Date.now(), status: 0, retryAfter: null };
  }
}

/** Writes one snapshot as Telegraf would (line protocol, millisecond precision); status 0 without an HTTP answer. */
export async function postLineSample(base: string, agent: FleetAgent, ts: number): Promise<Answer> {
  const start = performance.now();
  const ms = Math.round(ts * 1000);
  const line = `cpu,cpu=cpu-total,host=${agent.serverId} usage_idle=${(ms % 100) + 0.5} ${ms}\nmem,host=${agent.serverId} used_percent=42 ${ms}`;
  try {
    const res = await fetch(`${base}/api/v2/write?org=agenthub&bucket=${agent.serverId}&precision=ms`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain; charset=utf-8', authorization: `Bearer ${agent.jwt}` },
      body: line,
      signal: AbortSignal.timeout(10_000),
    });
    await res.arrayBuffer();
    return {
      at: Date.now(),
      status: res.status,
      retryAfter: res.headers.get('retry-after'),
      ms: performance.now() - start,
    };
  } catch {
    return { at: Date.now(), status: 0, retryAfter: null };
  }
}

/**
 * Each agent sends one snapshot after another, as the agent CLI does, retrying a refused one (after
 * `retryMs`, not Retry-After: the tests measure the server's recovery, not a client's back-off).
 */
export function ingestLoad(base: string, fleet: FleetAgent[], options: { retryMs?: number; startTs?: number } = {}) {
  const acked = new Map<string, Set<number>>(fleet.map((a) => [a.agentId, new Set()]));
  const answers: Answer[] = [];
  let stopped = false;
  const loops = fleet.map(async (agent, index) => {
    // A day back, 10 ms apart: a long run at hundreds of samples a second stays inside the accepted window
    // (7 days back, 5 minutes ahead) instead of running into the future.
    let ts = (options.startTs ?? Math.floor(Date.now() / 1000) - 86_400) + index * 0.0001;
    while (!stopped) {
      const answer = await postSample(base, agent, ts);
      answers.push(answer);
      if (answer.status >= 200 && answer.status < 300) {
        acked.get(agent.agentId)!.add(ts);
        ts += 0.01;
      } else await sleep(options.retryMs ?? 200);
    }
  });
  return {
    acked,
    answers,
    async stop(): Promise<void> {
      stopped = true;
      await Promise.all(loops);
    },
  };
}

/** One acknowledgement (or refusal) of a socket send. */
export interface SendAnswer {
  at: number;
  ok: boolean;
  error?: string;
  ms?: number;
}

/**
 * Agents talking in one room through the SDK: each sends one message after another, retrying a refused
 * one with the same client_msg_id (at most one stored copy), and records every delivery it receives.
 */
export async function talkLoad(
  base: string,
  tokens: string[],
  roomId: string,
  options: { retryMs?: number; pauseMs?: number } = {},
) {
  const members = tokens.map((apiToken) => {
    const realtime = new AgentHubClient({ server: base, credentials: { kind: 'api-token', apiToken } }).realtime();
    const received: number[] = [];
    realtime.on('message', (m: Message) => received.push(m.seq));
    realtime.on('error', () => undefined);
    return { realtime, received };
  });
  await Promise.all(members.map((m) => m.realtime.connect()));
  const acked = new Set<string>();
  const answers: SendAnswer[] = [];
  const run = { stopped: false };
  const stopping = () => run.stopped;
  const loops = members.map(async ({ realtime }, index) => {
    for (let n = 0; !run.stopped; n++) {
      const clientMsgId = randomUUID();
      for (;;) {
        const start = performance.now();
        try {
          const message = await send(realtime, roomId, `m${index}-${n}`, clientMsgId);
          answers.push({ at: Date.now(), ok: true, ms: performance.now() - start });
          acked.add(message.id);
          // Paced below the per-socket event limit (30/s): the limiter is tested elsewhere.
          await sleep(options.pauseMs ?? 50);
          break;
        } catch (error) {
          answers.push({ at: Date.now(), ok: false, error: error instanceof AgentHubError ? error.code : 'thrown' });
          if (stopping()) break;
          await sleep(options.retryMs ?? 200);
        }
      }
    }
  });
  return {
    members,
    acked,
    answers,
    /** Stops sending; the members stay connected until close(). */
    async stop(): Promise<void> {
      run.stopped = true;
      await Promise.all(loops);
    },
    close(): void {
      for (const member of members) member.realtime.close();
    },
  };
}

function send(realtime: RealtimeClient, roomId: string, body: string, clientMsgId: string): Promise<Message> {
  return realtime.send(roomId, body, clientMsgId);
}

function withTimeout<T>(promise: Promise<T>, ms: number, code: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new AgentHubError(0, code, `no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Polls a URL every `everyMs` and records the answers (status 0 = no answer). */
export function poll(url: string, everyMs: number) {
  const answers: Answer[] = [];
  const run = { stopped: false };
  const loop = (async () => {
    while (!run.stopped) {
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
        await res.arrayBuffer();
        answers.push({ at: Date.now(), status: res.status, retryAfter: res.headers.get('retry-after') });
      } catch {
        answers.push({ at: Date.now(), status: 0, retryAfter: null });
      }
      await sleep(everyMs);
    }
  })();
  return {
    answers,
    async stop(): Promise<void> {
      run.stopped = true;
      await loop;
    },
  };
}

/** The first answer at or after `from` that satisfies `test`, as milliseconds after `from`. */
export function firstAfter<T extends { at: number }>(answers: T[], from: number, test: (a: T) => boolean): number {
  const hit = answers.find((a) => a.at >= from && test(a));
  return hit ? hit.at - from : Number.POSITIVE_INFINITY;
}

export const isSuccess = (a: Answer) => a.status >= 200 && a.status < 300;

/** The server's own view of its resources, read from its Prometheus exposition. */
export interface ResourceSample {
  at: number;
  rss: number;
  heapUsed: number;
  openFds: number;
  /**
   * Of openFds, the files of an embedded (PGlite) database under `databaseDir`: Postgres keeps a relation's
   * file open once touched (its own descriptor cache, bounded by max_files_per_process), so their number
   * steps up as new tables, indexes, partitions and WAL segments are first used. Not a leak; judged apart.
   */
  databaseFds: number;
  activeHandles: number;
}

const RESOURCE_SERIES = {
  rss: 'agenthub_process_resident_memory_bytes',
  heapUsed: 'agenthub_nodejs_heap_size_used_bytes',
  openFds: 'agenthub_process_open_fds',
  // One series per handle type (the unlabelled *_total gauge is not exported: promtool refuses it).
  activeHandles: 'agenthub_nodejs_active_handles',
} as const;

/** How many of a process's open descriptors point into `dir` (Linux /proc; 0 where it cannot be read). */
async function descriptorsUnder(pid: number, dir: string): Promise<number> {
  const fdDir = `/proc/${pid}/fd`;
  const fds = await readdir(fdDir).catch(() => []);
  const targets = await Promise.all(fds.map((fd) => readlink(`${fdDir}/${fd}`).catch(() => '')));
  return targets.filter((t) => t.startsWith(`${dir}/`)).length;
}

/**
 * Scrapes `/metrics` every `everyMs` for memory, file descriptors and handles; with `database`, also counts
 * the server's descriptors on the embedded database's files.
 */
export function sampleResources(base: string, everyMs: number, database?: { pid: number; dir: string }) {
  const samples: ResourceSample[] = [];
  const run = { stopped: false };
  const loop = (async () => {
    while (!run.stopped) {
      try {
        const text = await (await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
        const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
        const sum = (name: string) =>
          [...text.matchAll(new RegExp(`^${name}\\{[^}]*\\} (\\S+)$`, 'gm'))].reduce((n, m) => n + Number(m[1]), 0);
        const databaseFds = database ? await descriptorsUnder(database.pid, database.dir) : 0;
        samples.push({
          at: Date.now(),
          rss: value(RESOURCE_SERIES.rss),
          heapUsed: value(RESOURCE_SERIES.heapUsed),
          openFds: value(RESOURCE_SERIES.openFds),
          databaseFds,
          activeHandles: sum(RESOURCE_SERIES.activeHandles),
        });
      } catch {
        // a missed scrape is visible as a gap
      }
      await sleep(everyMs);
    }
  })();
  return {
    samples,
    async stop(): Promise<void> {
      run.stopped = true;
      await loop;
    },
  };
}

export const MiB = 1024 * 1024;

/** A person signed in over HTTP: the headers their browser would send to the JSON API. */
export async function signInOverHttp(base: string, email: string, password: string): Promise<Record<string, string>> {
  const res = await fetch(`${base}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  const cookie = res.headers.getSetCookie().find((c) => /agenthub_session=/.test(c));
  if (res.status !== 200 || !cookie) throw new Error(`sign-in failed: ${res.status}`);
  return { cookie: cookie.split(';')[0]!, origin: base };
}

/**
 * Device flows one after another, as new agents would link: register, a person approves over the JSON
 * API, the agent polls until it holds tokens and sends a first snapshot with them.
 */
export function deviceFlowLoad(base: string, person: Record<string, string>, options: { pauseMs?: number } = {}) {
  const durations: number[] = [];
  const failures: string[] = [];
  const run = { stopped: false };
  const json = async (url: string, init: RequestInit = {}) => {
    const res = await fetch(`${base}${url}`, { ...init, signal: AbortSignal.timeout(10_000) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const loop = (async () => {
    for (let n = 0; !run.stopped; n++) {
      const start = performance.now();
      try {
        const serverId = `soak-${n}-${randomUUID().slice(0, 8)}`;
        const registered = await json('/api/v1/agents/register', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ device_name: `Soak ${n}`, device_info: { server_id: serverId } }),
        });
        const { device_code: deviceCode, user_code: userCode, interval } = registered.body as Record<string, string>;
        const approved = await json('/api/v1/agent-link/approve', {
          method: 'POST',
          headers: { ...person, 'content-type': 'application/json' },
          body: JSON.stringify({ user_code: userCode }),
        });
        if (approved.status !== 200) throw new Error(`approve: ${approved.status}`);
        let token: string | undefined;
        while (!token) {
          await sleep(Number(interval) * 1000);
          const polled = await json(`/api/v1/agents/status?device_code=${encodeURIComponent(String(deviceCode))}`);
          if (polled.status === 200 && polled.body['status'] === 'approved')
            token = String(polled.body['access_token']);
          else if (polled.status !== 200 && polled.body['error'] !== 'slow_down')
            throw new Error(`poll: ${polled.status}`);
        }
        const agent = { agentId: '', serverId, jwt: token };
        const first = await postSample(base, agent, Math.floor(Date.now() / 1000));
        if (first.status !== 200) throw new Error(`first snapshot: ${first.status}`);
        durations.push(performance.now() - start);
      } catch (error) {
        failures.push(error instanceof Error ? error.message : String(error));
      }
      await sleep(options.pauseMs ?? 1000);
    }
  })();
  return {
    durations,
    failures,
    async stop(): Promise<void> {
      run.stopped = true;
      await loop;
    },
  };
}

/** An agent that connects, stays a moment and disconnects, over and over (fresh socket, cached JWT). */
export function churnLoad(base: string, apiToken: string, options: { stayMs?: number } = {}) {
  const client = new AgentHubClient({ server: base, credentials: { kind: 'api-token', apiToken } });
  const connects: number[] = [];
  const failures: string[] = [];
  const run = { stopped: false };
  const loop = (async () => {
    while (!run.stopped) {
      const realtime = client.realtime();
      realtime.on('error', () => undefined);
      const start = performance.now();
      try {
        await withTimeout(realtime.connect(), 15_000, 'connect_timeout');
        connects.push(performance.now() - start);
        await sleep(options.stayMs ?? 500);
      } catch (error) {
        failures.push(error instanceof AgentHubError ? error.code : String(error));
        await sleep(500);
      } finally {
        realtime.close();
      }
    }
  })();
  return {
    connects,
    failures,
    async stop(): Promise<void> {
      run.stopped = true;
      await loop;
    },
  };
}
