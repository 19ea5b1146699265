import type { AlertRuleRow, AlertState, Comparison } from '../../db/schema/index.js';

export interface Sample {
  ts: Date;
  /** The number at the rule's path, or null when the sample lacks it. */
  value: number | null;
}

export interface AgentView {
  lastSeenAt: Date | null;
  /** When the agent was linked (or created): an agent younger than `for` cannot be missing data for `for`. */
  since: Date;
}

export interface Verdict {
  state: AlertState;
  /** When the state began: for pending and firing, when the condition started to hold. */
  since: Date;
  value: number | null;
}

type Rule = Pick<AlertRuleRow, 'kind' | 'comparison' | 'threshold' | 'resolveThreshold' | 'forSeconds'>;

export function compare(value: number, op: Comparison, threshold: number): boolean {
  switch (op) {
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
  }
}

/**
 * The next state of one (rule, agent) pair from the stored samples (oldest first) and the current state.
 * Pure: the evaluation job feeds it, the tests drive it with any `now`.
 *
 * - metric_threshold: pending while the newest samples breach; firing once every sample of the last
 *   `for` breaches (a short spike never fires); a firing alert stays firing while the newest value is
 *   still past the resolve threshold (hysteresis: a value hovering at the line does not flap).
 * - agent_offline: firing while the agent has not been seen for `for`.
 * - no_data: firing while an online agent's samples of the last `for` all lack the path.
 */
export function evaluate(
  rule: Rule,
  current: { state: AlertState; since: Date } | undefined,
  agent: AgentView,
  samples: Sample[],
  now: Date,
  offlineAfterSeconds: number,
): Verdict {
  const state = current?.state ?? 'ok';
  const forMs = rule.forSeconds * 1000;
  const keep = (value: number | null): Verdict => ({ state, since: current?.since ?? now, value });

  if (rule.kind === 'agent_offline') {
    const seen = agent.lastSeenAt ?? agent.since;
    const away = now.getTime() - seen.getTime();
    const value = Math.round(away / 1000);
    if (away >= forMs) return state === 'firing' ? keep(value) : { state: 'firing', since: now, value };
    return state === 'ok' ? keep(value) : { state: 'ok', since: now, value };
  }

  if (rule.kind === 'no_data') {
    const online = agent.lastSeenAt !== null && now.getTime() - agent.lastSeenAt.getTime() < offlineAfterSeconds * 1000;
    const window = samples.filter((s) => now.getTime() - s.ts.getTime() <= forMs);
    const old = now.getTime() - agent.since.getTime() >= forMs;
    const missing = online && old && window.length > 0 && window.every((s) => s.value === null);
    if (missing) return state === 'firing' ? keep(null) : { state: 'firing', since: now, value: null };
    return state === 'ok' ? keep(null) : { state: 'ok', since: now, value: null };
  }

  // metric_threshold
  const op = rule.comparison ?? '>';
  const threshold = rule.threshold ?? 0;
  const resolveAt = rule.resolveThreshold ?? threshold;
  const numeric = samples.filter((s): s is Sample & { value: number } => s.value !== null);
  const newest = numeric.at(-1);
  if (!newest) return keep(current ? null : null); // no data: the state holds (no_data rules watch for that)

  if (state === 'firing') {
    if (compare(newest.value, op, resolveAt)) return keep(newest.value);
    return { state: 'ok', since: now, value: newest.value };
  }
  if (!compare(newest.value, op, threshold)) {
    return state === 'ok' ? keep(newest.value) : { state: 'ok', since: now, value: newest.value };
  }
  // The newest sample breaches: find where the trailing run of breaching samples began.
  let start = newest.ts;
  for (let i = numeric.length - 1; i >= 0; i--) {
    const sample = numeric[i];
    if (!sample || !compare(sample.value, op, threshold)) break;
    start = sample.ts;
  }
  if (now.getTime() - start.getTime() >= forMs) return { state: 'firing', since: now, value: newest.value };
  if (state === 'pending') return keep(newest.value);
  return { state: 'pending', since: start, value: newest.value };
}

/** Whether `now` falls in a daily window [start, end) in a time zone; windows may cross midnight. */
export function inQuietHours(quiet: { start: string; end: string; tz: string } | null, now: Date): boolean {
  if (!quiet) return false;
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: quiet.tz,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(now);
  const hour = Number(parts.find((p) => p.type === 'hour')?.value ?? 0);
  const minute = Number(parts.find((p) => p.type === 'minute')?.value ?? 0);
  const minutes = hour * 60 + minute;
  const [sh = 0, sm = 0] = quiet.start.split(':').map(Number);
  const [eh = 0, em = 0] = quiet.end.split(':').map(Number);
  const start = sh * 60 + sm;
  const end = eh * 60 + em;
  return start <= end ? minutes >= start && minutes < end : minutes >= start || minutes < end;
}
