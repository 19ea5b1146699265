import { z } from 'zod';
import { maskedUrl } from '../outbound/webhook-target.js';
import {
  comparisons,
  ruleKinds,
  severities,
  webhookPresets,
  type AlertEventRow,
  type AlertRow,
  type AlertRuleRow,
  type NotificationChannelRow,
  type SilenceRow,
} from '../../db/schema/index.js';
import { parseDurationSeconds } from '../../config/env-types.js';
import { timeParam } from '../../http/schemas.js';

/**
 * A dotted path into a snapshot: `cpu.usage`, `memory.percent`, `disk./.percent`, `disk./var/log.percent`.
 * Segments are letters, digits, `_`, `-` and `/`; the path reaches the database only as a bound parameter.
 */
export const alertPath = z
  .string()
  .max(300)
  .regex(
    /^[A-Za-z0-9_/-]{1,100}(\.[A-Za-z0-9_/-]{1,100}){0,7}$/,
    'a dotted path such as cpu.usage or disk./.percent (letters, digits, _ - /)',
  );

const MAX_FOR_SECONDS = 7 * 86_400;

/** `for`, `repeat`: a duration such as 90s, 5m, 1h, or a number of seconds. */
const duration = (min: number, max: number) =>
  z
    .union([z.number().int(), z.string().regex(/^\d+(ms|s|m|h|d)?$/, 'a duration such as 90s, 5m or 1h')])
    .transform((v) => (typeof v === 'number' ? v : Math.round(parseDurationSeconds(v))))
    .pipe(z.number().int().min(min, `at least ${min}s`).max(max, `at most ${max}s`));

const finite = z.number().refine(Number.isFinite, 'a finite number');
const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM');
const timeZone = z
  .string()
  .max(64)
  .refine((tz) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  }, 'an IANA time zone such as Europe/Berlin');

export const quietHours = z.strictObject({ start: clock, end: clock, tz: timeZone });

const ruleFields = {
  name: z.string().trim().min(1).max(120),
  kind: z.enum(ruleKinds),
  agent_id: z.uuid().optional(),
  team_id: z.uuid().optional(),
  path: alertPath.optional(),
  op: z.enum(comparisons).optional(),
  threshold: finite.optional(),
  resolve_threshold: finite.optional(),
  for: duration(0, MAX_FOR_SECONDS),
  severity: z.enum(severities).default('warning'),
  enabled: z.boolean().default(true),
  channel_ids: z.array(z.uuid()).min(1, 'at least one channel').max(10),
  repeat: duration(60, MAX_FOR_SECONDS).nullable().optional(),
  quiet_hours: quietHours.nullable().optional(),
};

function checkKind(
  rule: {
    kind: string;
    path?: string | undefined;
    op?: string | undefined;
    threshold?: number | undefined;
    for: number;
  },
  ctx: z.RefinementCtx,
) {
  if (
    rule.kind === 'metric_threshold' &&
    (rule.path === undefined || rule.op === undefined || rule.threshold === undefined)
  )
    ctx.addIssue({ code: 'custom', path: ['threshold'], message: 'metric_threshold takes path, op and threshold' });
  if (rule.kind === 'no_data' && rule.path === undefined)
    ctx.addIssue({ code: 'custom', path: ['path'], message: 'no_data takes a path' });
  if (rule.kind !== 'metric_threshold' && rule.for < 30)
    ctx.addIssue({ code: 'custom', path: ['for'], message: `${rule.kind} takes a for of at least 30s` });
}

export const createRuleBody = z.strictObject(ruleFields).superRefine(checkKind);
export const updateRuleBody = z
  .strictObject({
    name: ruleFields.name.optional(),
    path: alertPath.optional(),
    op: z.enum(comparisons).optional(),
    threshold: finite.optional(),
    resolve_threshold: finite.nullable().optional(),
    for: duration(0, MAX_FOR_SECONDS).optional(),
    severity: z.enum(severities).optional(),
    enabled: z.boolean().optional(),
    channel_ids: ruleFields.channel_ids.optional(),
    repeat: ruleFields.repeat,
    quiet_hours: ruleFields.quiet_hours,
  })
  .refine((body) => Object.keys(body).length > 0, 'nothing to change');

export type CreateRuleInput = z.infer<typeof createRuleBody>;
export type UpdateRuleInput = z.infer<typeof updateRuleBody>;

export const ruleSchema = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.enum(ruleKinds),
  owner_id: z.string(),
  team_id: z.string().nullable(),
  agent_id: z.string().nullable(),
  path: z.string().nullable(),
  op: z.enum(comparisons).nullable(),
  threshold: z.number().nullable(),
  resolve_threshold: z.number().nullable(),
  for_seconds: z.number(),
  severity: z.enum(severities),
  enabled: z.boolean(),
  channel_ids: z.array(z.string()),
  repeat_seconds: z.number().nullable(),
  quiet_hours: z.object({ start: z.string(), end: z.string(), tz: z.string() }).nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});

export function presentRule(rule: AlertRuleRow): z.infer<typeof ruleSchema> {
  return {
    id: rule.id,
    name: rule.name,
    kind: rule.kind,
    owner_id: rule.ownerId,
    team_id: rule.teamId,
    agent_id: rule.agentId,
    path: rule.path,
    op: rule.comparison,
    threshold: rule.threshold,
    resolve_threshold: rule.resolveThreshold,
    for_seconds: rule.forSeconds,
    severity: rule.severity,
    enabled: rule.enabled,
    channel_ids: rule.channelIds,
    repeat_seconds: rule.repeatSeconds,
    quiet_hours: rule.quietHours,
    created_at: rule.createdAt.toISOString(),
    updated_at: rule.updatedAt.toISOString(),
  };
}

const httpUrl = z.url({ protocol: /^https?$/, error: 'an http(s) URL' }).max(2000);

export const createChannelBody = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('webhook'),
    name: z.string().trim().min(1).max(120),
    team_id: z.uuid().optional(),
    preset: z.enum(webhookPresets).default('generic'),
    url: httpUrl,
    /** HMAC key (generic) or bot token (telegram); generated for generic webhooks when absent. */
    secret: z.string().min(16).max(500).optional(),
    chat_id: z.string().min(1).max(100).optional(),
  }),
  z.strictObject({
    kind: z.literal('email'),
    name: z.string().trim().min(1).max(120),
    team_id: z.uuid().optional(),
    to: z.email().max(320),
  }),
  z.strictObject({
    kind: z.literal('room'),
    name: z.string().trim().min(1).max(120),
    team_id: z.uuid().optional(),
    room_id: z.uuid(),
  }),
]);
export type CreateChannelInput = z.infer<typeof createChannelBody>;

export const channelSchema = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.enum(['webhook', 'email', 'room']),
  preset: z.enum(webhookPresets).nullable(),
  owner_id: z.string(),
  team_id: z.string().nullable(),
  target: z.record(z.string(), z.string()),
  /** Only the last four characters once saved. */
  secret_hint: z.string().nullable(),
  created_at: z.string(),
});

function shownTarget(channel: NotificationChannelRow): Record<string, string> {
  const url = channel.target['url'];
  return url === undefined ? channel.target : { ...channel.target, url: maskedUrl(url) };
}

export function presentChannel(
  channel: NotificationChannelRow,
  secretHint: string | null,
): z.infer<typeof channelSchema> {
  return {
    id: channel.id,
    name: channel.name,
    kind: channel.kind,
    preset: channel.preset,
    owner_id: channel.ownerId,
    team_id: channel.teamId,
    target: shownTarget(channel),
    secret_hint: secretHint,
    created_at: channel.createdAt.toISOString(),
  };
}

export const alertSchema = z.object({
  id: z.string(),
  rule_id: z.string(),
  rule_name: z.string(),
  severity: z.enum(severities),
  agent_id: z.string(),
  agent_name: z.string(),
  state: z.enum(['ok', 'pending', 'firing']),
  since: z.string(),
  value: z.number().nullable(),
  acknowledged_by: z.string().nullable(),
  acknowledged_at: z.string().nullable(),
});

export function presentAlert(
  row: AlertRow & { ruleName: string; severity: AlertRuleRow['severity']; agentName: string },
) {
  return {
    id: row.id,
    rule_id: row.ruleId,
    rule_name: row.ruleName,
    severity: row.severity,
    agent_id: row.agentId,
    agent_name: row.agentName,
    state: row.state,
    since: row.since.toISOString(),
    value: row.value,
    acknowledged_by: row.acknowledgedBy,
    acknowledged_at: row.acknowledgedAt?.toISOString() ?? null,
  };
}

export const alertsQuery = z.strictObject({
  state: z.enum(['ok', 'pending', 'firing', 'active']).default('active'),
  severity: z.enum(severities).optional(),
  agent_id: z.uuid().optional(),
  rule_id: z.uuid().optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.uuid().optional(),
});
export type AlertsQuery = z.infer<typeof alertsQuery>;

export const eventSchema = z.object({
  id: z.string(),
  alert_id: z.string(),
  rule_id: z.string(),
  agent_id: z.string(),
  from: z.enum(['ok', 'pending', 'firing']),
  to: z.enum(['ok', 'pending', 'firing']),
  value: z.number().nullable(),
  suppressed: z.string().nullable(),
  created_at: z.string(),
});

export function presentEvent(event: AlertEventRow): z.infer<typeof eventSchema> {
  return {
    id: event.id,
    alert_id: event.alertId,
    rule_id: event.ruleId,
    agent_id: event.agentId,
    from: event.fromState,
    to: event.toState,
    value: event.value,
    suppressed: event.suppressed,
    created_at: event.createdAt.toISOString(),
  };
}

export const eventsQuery = z.strictObject({
  agent_id: z.uuid().optional(),
  rule_id: z.uuid().optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.uuid().optional(),
});
export type EventsQuery = z.infer<typeof eventsQuery>;

export const createSilenceBody = z
  .strictObject({
    rule_id: z.uuid().optional(),
    agent_id: z.uuid().optional(),
    until: timeParam,
    reason: z.string().max(500).optional(),
  })
  .refine((b) => b.rule_id !== undefined || b.agent_id !== undefined, 'silence a rule_id, an agent_id or both');

export const silenceSchema = z.object({
  id: z.string(),
  rule_id: z.string().nullable(),
  agent_id: z.string().nullable(),
  until: z.string(),
  reason: z.string().nullable(),
  created_at: z.string(),
});

export function presentSilence(s: SilenceRow): z.infer<typeof silenceSchema> {
  return {
    id: s.id,
    rule_id: s.ruleId,
    agent_id: s.agentId,
    until: s.until.toISOString(),
    reason: s.reason,
    created_at: s.createdAt.toISOString(),
  };
}
