import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU time spent by the processes of one run, read from /proc (Linux): the server under test, every
 * Postgres process (backends, WAL writer, checkpointer) and the load generator (this process).
 * Divided by the requests answered, it says where each request's time goes on the shared cores.
 */
export interface CpuSplit {
  server: number;
  postgres: number;
  loadGenerator: number;
}

const TICK_MS = 10; // USER_HZ is 100 on Linux

function processMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return 0; // gone, or not Linux
  }
}

/** CPU milliseconds of every running Postgres process, by pid. */
function postgresMs(): Map<number, number> {
  const byPid = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').startsWith('postgres'))
        byPid.set(Number(entry), processMs(Number(entry)));
    } catch {
      // exited meanwhile
    }
  }
  return byPid;
}

/**
 * What the Postgres processes running at the end spent since `before` (a process started meanwhile counts from
 * zero). One that exited meanwhile, a backend of a closed connection, is left out: counting its earlier total
 * as spent would make the sum negative.
 */
function postgresSince(before: Map<number, number>): number {
  let total = 0;
  for (const [pid, ms] of postgresMs()) total += Math.max(0, ms - (before.get(pid) ?? 0));
  return total;
}

/** Starts counting; the returned function gives the CPU milliseconds each part spent since. */
export function measureCpu(serverPid: number | undefined): () => CpuSplit {
  const server = serverPid === undefined ? 0 : processMs(serverPid);
  const postgres = postgresMs();
  const own = process.cpuUsage();
  return () => {
    const used = process.cpuUsage(own);
    return {
      server: serverPid === undefined ? 0 : processMs(serverPid) - server,
      postgres: postgresSince(postgres),
      loadGenerator: (used.user + used.system) / 1000,
    };
  };
}

/** µs of CPU per answered request, for each part. */
export function perRequestUs(split: CpuSplit, requests: number): CpuSplit {
  const us = (ms: number) => (requests > 0 ? (ms * 1000) / requests : 0);
  return { server: us(split.server), postgres: us(split.postgres), loadGenerator: us(split.loadGenerator) };
}

/** "server · Postgres · load generator" in µs of CPU per answered request. */
export function perRequest(split: CpuSplit, requests: number): string {
  const us = perRequestUs(split, requests);
  return `${Math.round(us.server)} · ${Math.round(us.postgres)} · ${Math.round(us.loadGenerator)}`;
}
