import type { AgentRow, AlertRuleRow, NotificationChannelRow } from '../../db/schema/index.js';
import type { UserIdentity } from '../../identity/actor.model.js';
import { maskedUrl } from '../../modules/outbound/webhook-target.js';
import { html, type SafeHtml } from '../html.js';
import { errorText, layout } from '../layout.js';
import { csrfField, scrollTable, when } from '../parts.js';

export interface AlertView {
  id: string;
  state: string;
  since: Date;
  value: number | null;
  ruleName: string;
  severity: string;
  agentId: string;
  agentName: string;
  acknowledgedAt: Date | null;
}

export interface AlertsPageOptions {
  user: UserIdentity;
  csrf: string;
  alerts: AlertView[];
  rules: AlertRuleRow[];
  channels: { channel: NotificationChannelRow; hint: string | null }[];
  agents: AgentRow[];
  rooms: { id: string; name: string }[];
  /** A secret just created: shown this once. */
  issuedSecret?: { channel: string; secret: string } | undefined;
  notice?: string | undefined;
  error?: string | undefined;
}

function condition(rule: AlertRuleRow): string {
  if (rule.kind === 'agent_offline') return `not seen for ${rule.forSeconds}s`;
  if (rule.kind === 'no_data') return `no ${rule.path ?? ''} for ${rule.forSeconds}s`;
  const resolve = rule.resolveThreshold === null ? '' : `, resolves at ${rule.resolveThreshold}`;
  return `${rule.path ?? ''} ${rule.comparison ?? ''} ${rule.threshold ?? ''} for ${rule.forSeconds}s${resolve}`;
}

function target(channel: NotificationChannelRow): string {
  const t = channel.target;
  return channel.kind === 'email'
    ? (t['to'] ?? '')
    : channel.kind === 'room'
      ? `room ${t['room_id'] ?? ''}`
      : maskedUrl(t['url'] ?? '');
}

function select(name: string, id: string, options: [string, string][], selected?: string): SafeHtml {
  return html`<select id="${id}" name="${name}">
    ${options.map(([value, label]) => html`<option value="${value}" ${value === selected ? 'selected' : ''}>${label}</option>`)}
  </select>`;
}

export function alertsPage(o: AlertsPageOptions): string {
  const alertRows = o.alerts.map(
    (a) =>
      html`<tr data-alert-id="${a.id}">
        <td><span class="state-${a.state}">${a.state}</span></td>
        <td>${a.severity}</td>
        <td>${a.ruleName}</td>
        <td><a href="/agents/${a.agentId}">${a.agentName}</a></td>
        <td>${a.value ?? '—'}</td>
        <td>${when(a.since)}</td>
        <td>
          ${
            a.state !== 'firing'
              ? ''
              : a.acknowledgedAt
                ? html`acknowledged ${when(a.acknowledgedAt)}`
                : html`<form method="post" action="/alerts/${a.id}/acknowledge" class="inline">
                    ${csrfField(o.csrf)}<button type="submit" class="secondary">Acknowledge</button>
                  </form>`
          }
        </td>
      </tr>`,
  );
  const ruleRows = o.rules.map(
    (r) =>
      html`<tr data-rule-id="${r.id}">
        <td><a href="/alerts/rules/${r.id}">${r.name}</a></td>
        <td>${r.kind}</td>
        <td>${condition(r)}</td>
        <td>${r.severity}</td>
        <td>${r.enabled ? 'enabled' : 'disabled'}</td>
        <td>
          <form method="post" action="/alerts/rules/${r.id}/delete" class="inline">
            ${csrfField(o.csrf)}<button type="submit" class="link">Delete</button>
          </form>
        </td>
      </tr>`,
  );
  const channelRows = o.channels.map(
    ({ channel: c, hint }) =>
      html`<tr data-channel-id="${c.id}">
        <td>${c.name}</td>
        <td>${c.kind}${c.preset && c.preset !== 'generic' ? ` (${c.preset})` : ''}</td>
        <td><code>${target(c)}</code></td>
        <td>${hint ?? '—'}</td>
        <td>
          <form method="post" action="/alerts/channels/${c.id}/test" class="inline">
            ${csrfField(o.csrf)}<button type="submit" class="secondary">Send test</button>
          </form>
          <form method="post" action="/alerts/channels/${c.id}/delete" class="inline">
            ${csrfField(o.csrf)}<button type="submit" class="link">Delete</button>
          </form>
        </td>
      </tr>`,
  );
  const agentOptions: [string, string][] = [
    ['', 'All my agents'],
    ...o.agents.filter((a) => a.status === 'approved').map((a): [string, string] => [a.id, a.displayName ?? a.name]),
  ];
  return layout({
    title: 'Alerts',
    user: o.user,
    csrf: o.csrf,
    body: html`${errorText(o.error)} ${o.notice ? html`<p class="notice" role="status">${o.notice}</p>` : ''}
      ${
        o.issuedSecret
          ? html`<section class="card" aria-labelledby="secret-heading">
              <h2 id="secret-heading">Signing secret of ${o.issuedSecret.channel}</h2>
              <p>Verify <code>X-AgentHub-Signature</code> with it. It is shown this once.</p>
              <p><code id="issued-secret">${o.issuedSecret.secret}</code></p>
            </section>`
          : ''
      }
      <section class="card" aria-labelledby="alerts-heading">
        <h1 id="alerts-heading">Alerts</h1>
        ${
          o.alerts.length === 0
            ? html`<p class="muted" id="no-alerts">Nothing is firing.</p>`
            : scrollTable(['State', 'Severity', 'Rule', 'Agent', 'Value', 'Since', ''], alertRows, { id: 'alerts' })
        }
      </section>
      <section class="card" aria-labelledby="rules-heading">
        <h2 id="rules-heading">Rules</h2>
        ${
          o.rules.length === 0
            ? html`<p class="muted">No rules yet.</p>`
            : scrollTable(['Name', 'Kind', 'Condition', 'Severity', 'State', ''], ruleRows, { id: 'rules' })
        }
        <h3>New rule</h3>
        ${
          o.channels.length === 0
            ? html`<p class="muted">Add a channel below first: a rule notifies at least one.</p>`
            : html`<form method="post" action="/alerts/rules" class="stack" id="new-rule">
                ${csrfField(o.csrf)}
                <label for="rule-name">Name</label>
                <input id="rule-name" name="name" required maxlength="120" />
                <label for="rule-kind">Kind</label>
                ${select('kind', 'rule-kind', [
                  ['metric_threshold', 'A metric past a threshold'],
                  ['agent_offline', 'An agent offline'],
                  ['no_data', 'A metric missing'],
                ])}
                <label for="rule-agent">Agent</label>
                ${select('agent_id', 'rule-agent', agentOptions)}
                <label for="rule-path">Metric path (e.g. cpu.usage, disk./.percent)</label>
                <input id="rule-path" name="path" maxlength="300" />
                <label for="rule-op">Comparison</label>
                ${select('op', 'rule-op', [
                  ['>', '>'],
                  ['>=', '>='],
                  ['<', '<'],
                  ['<=', '<='],
                ])}
                <label for="rule-threshold">Threshold</label>
                <input id="rule-threshold" name="threshold" inputmode="decimal" />
                <label for="rule-resolve">Resolve threshold (optional, for hysteresis)</label>
                <input id="rule-resolve" name="resolve_threshold" inputmode="decimal" />
                <label for="rule-for">For (e.g. 5m; 0 fires at once)</label>
                <input id="rule-for" name="for" value="5m" required />
                <label for="rule-severity">Severity</label>
                ${select(
                  'severity',
                  'rule-severity',
                  [
                    ['info', 'info'],
                    ['warning', 'warning'],
                    ['critical', 'critical'],
                  ],
                  'warning',
                )}
                <fieldset>
                  <legend>Notify</legend>
                  ${o.channels.map(
                    ({ channel: c }) =>
                      html`<label class="check"
                        ><input type="checkbox" name="channel_ids" value="${c.id}" /> ${c.name}</label
                      >`,
                  )}
                </fieldset>
                <button type="submit">Create rule</button>
              </form>`
        }
      </section>
      <section class="card" aria-labelledby="channels-heading">
        <h2 id="channels-heading">Channels</h2>
        ${
          o.channels.length === 0
            ? html`<p class="muted">No channels yet.</p>`
            : scrollTable(['Name', 'Kind', 'Target', 'Secret', ''], channelRows, { id: 'channels' })
        }
        <h3>New channel</h3>
        <form method="post" action="/alerts/channels" class="stack" id="new-channel">
          ${csrfField(o.csrf)}
          <label for="channel-name">Name</label>
          <input id="channel-name" name="name" required maxlength="120" />
          <label for="channel-kind">Kind</label>
          ${select('kind', 'channel-kind', [
            ['webhook', 'Webhook'],
            ['email', 'Email'],
            ['room', 'Room'],
          ])}
          <label for="channel-preset">Webhook format</label>
          ${select('preset', 'channel-preset', [
            ['generic', 'JSON, signed (generic)'],
            ['slack', 'Slack'],
            ['discord', 'Discord'],
            ['telegram', 'Telegram'],
            ['ntfy', 'ntfy'],
          ])}
          <label for="channel-url">Webhook URL</label>
          <input id="channel-url" name="url" type="url" maxlength="2000" />
          <label for="channel-secret">Secret or bot token (optional; generated for generic webhooks)</label>
          <input id="channel-secret" name="secret" type="password" autocomplete="off" maxlength="500" />
          <label for="channel-chat">Telegram chat id</label>
          <input id="channel-chat" name="chat_id" maxlength="100" />
          <label for="channel-to">Email address</label>
          <input id="channel-to" name="to" type="email" maxlength="320" />
          <label for="channel-room">Room</label>
          ${select('room_id', 'channel-room', [['', '—'], ...o.rooms.map((r): [string, string] => [r.id, r.name])])}
          <button type="submit">Create channel</button>
        </form>
      </section>`,
  });
}

export function alertRulePage(o: {
  user: UserIdentity;
  csrf: string;
  rule: AlertRuleRow;
  canManage: boolean;
  error?: string | undefined;
}): string {
  const r = o.rule;
  return layout({
    title: r.name,
    user: o.user,
    csrf: o.csrf,
    body: html`${errorText(o.error)}
      <section class="card" aria-labelledby="rule-heading">
        <h1 id="rule-heading">${r.name}</h1>
        <p>${r.kind}: ${condition(r)} · ${r.severity} · ${r.enabled ? 'enabled' : 'disabled'}</p>
        ${
          o.canManage
            ? html`<form method="post" action="/alerts/rules/${r.id}" class="stack" id="edit-rule">
                ${csrfField(o.csrf)}
                <label for="edit-name">Name</label>
                <input id="edit-name" name="name" value="${r.name}" required maxlength="120" />
                ${
                  r.kind === 'metric_threshold'
                    ? html`<label for="edit-threshold">Threshold</label>
                        <input
                          id="edit-threshold"
                          name="threshold"
                          value="${String(r.threshold ?? '')}"
                          inputmode="decimal"
                        />
                        <label for="edit-resolve">Resolve threshold</label>
                        <input
                          id="edit-resolve"
                          name="resolve_threshold"
                          value="${r.resolveThreshold === null ? '' : String(r.resolveThreshold)}"
                          inputmode="decimal"
                        />`
                    : ''
                }
                <label for="edit-for">For (seconds)</label>
                <input id="edit-for" name="for" value="${String(r.forSeconds)}" required />
                <label for="edit-severity">Severity</label>
                ${select(
                  'severity',
                  'edit-severity',
                  [
                    ['info', 'info'],
                    ['warning', 'warning'],
                    ['critical', 'critical'],
                  ],
                  r.severity,
                )}
                <label class="check"
                  ><input type="checkbox" name="enabled" value="true" ${r.enabled ? 'checked' : ''} /> Enabled</label
                >
                <button type="submit">Save</button>
              </form>`
            : ''
        }
        <p><a href="/alerts">All alerts and rules</a></p>
      </section>`,
  });
}
