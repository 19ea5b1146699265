// Request bodies for bench:ingest. The load generator shares the 2 cores with the server under test, so its own
// work per request is kept small in every run alike: snapshots are serialised once (64 variants) and each body
// splices a fresh timestamp between prepared pieces, which is byte for byte what JSON.stringify would produce.
import { snapshot, type FleetAgent } from './fleet.js';

export const SNAPSHOTS = Array.from({ length: 64 }, (_, k) => JSON.stringify(snapshot(k)));

export type NextRequest = () => { body: string | Buffer; headers?: Record<string, string> };

/** Unix seconds a day before this bench process started: every run's timestamps fall in the day after. */
const EPOCH = Math.floor(Date.now() / 1000) - 86_400;

/** The hour `slot` (0–23) of that day, as unix seconds [from, to): where the run given that slot wrote. */
export const slotRange = (slot: number) => ({ from: EPOCH + slot * 3600, to: EPOCH + (slot + 1) * 3600 });

/**
 * Unique timestamps (1 ms apart) so every acknowledged sample is a distinct row. Runs that write to the same
 * table take different hours of that day (`slot`), so one run's timestamps never collide with another's, and
 * the rows of one run can be counted afterwards by their hour.
 */
export function clock(slot = 0) {
  let seq = 0;
  const { from } = slotRange(slot);
  return () => from + seq++ / 1000;
}

const bearer = (fleet: FleetAgent[]) => fleet.map((a) => ({ authorization: `Bearer ${a.jwt}` }));

/** POST /api/v1/metrics with one snapshot, the agents taken in turn. */
export function singleSnapshots(fleet: FleetAgent[], slot: number): NextRequest {
  const next = clock(slot);
  const heads = fleet.map((a) => `{"server_id":${JSON.stringify(a.serverId)},"timestamp":`);
  const auth = bearer(fleet);
  let i = 0;
  return () => {
    const k = i++ % fleet.length;
    return { body: `${heads[k]}${next()},"metrics":${SNAPSHOTS[i % 64]}}`, headers: auth[k]! };
  };
}

/** POST /api/v1/metrics with `size` samples, as the agent's spool replays them. */
export function sampleBatches(fleet: FleetAgent[], slot: number, size: number): NextRequest {
  const next = clock(slot);
  const heads = fleet.map((a) => `{"server_id":${JSON.stringify(a.serverId)},"samples":[`);
  const auth = bearer(fleet);
  let i = 0;
  return () => {
    const k = i++ % fleet.length;
    const samples = Array.from(
      { length: size },
      (_, s) => `{"timestamp":${next()},"metrics":${SNAPSHOTS[(i + s) % 64]}}`,
    );
    return { body: `${heads[k]}${samples.join(',')}]}`, headers: auth[k]! };
  };
}

/** The baseline servers' body: the agent id travels in it, as they check nothing. */
export function baselineSnapshots(fleet: FleetAgent[], slot: number): NextRequest {
  const next = clock(slot);
  const heads = fleet.map(
    (a) => `{"agent_id":${JSON.stringify(a.agentId)},"server_id":${JSON.stringify(a.serverId)},"timestamp":`,
  );
  let i = 0;
  return () => {
    const k = i++ % fleet.length;
    return { body: `${heads[k]}${next()},"metrics":${SNAPSHOTS[i % 64]}}` };
  };
}
