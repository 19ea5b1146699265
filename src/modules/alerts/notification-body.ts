import type { AlertRuleRow } from '../../db/schema/index.js';

/** The documented webhook body (docs/ALERTING.md); stored in the outbox, so a retry sends the same. */
export interface NotificationPayload {
  status: 'firing' | 'resolved' | 'test';
  rule: {
    id: string;
    name: string;
    kind: string;
    severity: string;
    path: string | null;
    op: string | null;
    threshold: number | null;
  };
  agent: { id: string; name: string; server_id: string | null };
  value: number | null;
  started_at: string;
  url: string;
  [key: string]: unknown;
}

export function notificationPayload(
  status: 'firing' | 'resolved',
  rule: AlertRuleRow,
  agent: { id: string; name: string; serverId: string | null },
  value: number | null,
  startedAt: Date,
  publicUrl: string,
): NotificationPayload {
  return {
    status,
    rule: {
      id: rule.id,
      name: rule.name,
      kind: rule.kind,
      severity: rule.severity,
      path: rule.path,
      op: rule.comparison,
      threshold: rule.threshold,
    },
    agent: { id: agent.id, name: agent.name, server_id: agent.serverId },
    value,
    started_at: startedAt.toISOString(),
    url: `${publicUrl}/agents/${agent.id}`,
  };
}

/** One line for chat presets, rooms, subjects: `[FIRING] critical · cpu high on web-1: cpu.usage = 97 (> 90)`. */
export function summaryLine(p: NotificationPayload): string {
  const status = p.status === 'test' ? 'TEST' : p.status.toUpperCase();
  const condition =
    p.rule.kind === 'metric_threshold'
      ? `${p.rule.path ?? ''} = ${p.value ?? '?'} (${p.rule.op ?? ''} ${p.rule.threshold ?? ''})`
      : p.rule.kind === 'agent_offline'
        ? `not seen for ${p.value ?? '?'}s`
        : `no ${p.rule.path ?? ''} in its samples`;
  return `[${status}] ${p.rule.severity} · ${p.rule.name} on ${p.agent.name}: ${condition}`;
}

export function detailText(p: NotificationPayload): string {
  return [
    summaryLine(p),
    '',
    `Agent: ${p.agent.name}${p.agent.server_id ? ` (${p.agent.server_id})` : ''}`,
    `Rule: ${p.rule.name} (${p.rule.kind}, ${p.rule.severity})`,
    `Value: ${p.value ?? 'none'}`,
    `Since: ${p.started_at}`,
    p.url,
  ].join('\n');
}
