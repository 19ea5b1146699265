import type { AgentRow, AlertEventRow, AuditEventRow, CredentialRow } from '../../db/schema/index.js';
import type { UserIdentity } from '../../identity/actor.model.js';
import { html, type SafeHtml } from '../html.js';
import { errorText, layout } from '../layout.js';
import { auditTable, csrfField, scrollTable, tableHead, when } from '../parts.js';
import { stockAgentSnippets } from './stock-agent-snippets.js';

export interface AgentPageOptions {
  user: UserIdentity;
  csrf: string;
  agent: AgentRow;
  online: boolean;
  tokens: CredentialRow[];
  /** May issue, revoke and deactivate (team viewers may not). */
  canManage: boolean;
  events: AuditEventRow[];
  /** Its alert history (every transition), newest first. */
  alertEvents: AlertEventRow[];
  /** A token just issued: shown this once. */
  issued?: { token: string; prefix: string } | undefined;
  /** Where stock agents send to (PUBLIC_URL, else the origin the page was asked on). */
  baseUrl: string;
  error?: string | undefined;
}

/** Time ranges of the charts: label, seconds back, bucket step. */
export const RANGES = [
  { id: '1h', label: 'Last hour', seconds: 3600, step: 60 },
  { id: '6h', label: 'Last 6 hours', seconds: 6 * 3600, step: 300 },
  { id: '24h', label: 'Last 24 hours', seconds: 86_400, step: 900 },
  { id: '7d', label: 'Last 7 days', seconds: 7 * 86_400, step: 3600 },
] as const;

const CHARTS = [
  { title: 'CPU (%)', paths: 'cpu.usage' },
  { title: 'Memory (%)', paths: 'memory.usage' },
  { title: 'Disk (%)', paths: 'disk.usage' },
  { title: 'Network (bytes/s)', paths: 'network.rx_bytes network.tx_bytes', rate: true },
];

function detail(label: string, value: unknown): SafeHtml {
  return html`<tr>
    <th scope="row">${label}</th>
    <td>${value === null || value === undefined || value === '' ? '—' : value}</td>
  </tr>`;
}

export function agentPage(o: AgentPageOptions): string {
  const { agent } = o;
  const active = agent.status === 'approved' && o.canManage;
  const base = `/agents/${agent.id}`;
  const info = agent.deviceInfo;
  return layout({
    title: agent.displayName ?? agent.name,
    user: o.user,
    csrf: o.csrf,
    scripts: ['/static/vendor/uplot/uPlot.iife.min.js', '/static/agent.js'],
    styles: ['/static/vendor/uplot/uPlot.min.css'],
    body: html`<section class="card">
        <h1>${agent.displayName ?? agent.name}</h1>
        ${errorText(o.error)}
        <table class="details">
          ${detail('server_id', agent.serverId)} ${detail('Name', agent.name)} ${detail('Status', agent.status)}
          ${detail('Online', o.online ? 'online' : 'offline')} ${detail('Last seen', when(agent.lastSeenAt))}
          ${detail('Role', agent.role)} ${detail('Hostname', info['hostname'])}
          ${detail('OS', [info['os'], info['arch']].filter(Boolean).join(' / '))} ${detail('Version', info['version'])}
          ${detail('Linked', when(agent.approvedAt ?? agent.createdAt))}
          ${detail('Deactivated', when(agent.deactivatedAt))}
        </table>
        ${
          active
            ? html`<form method="post" action="${base}/deactivate" class="actions">
                ${csrfField(o.csrf)}
                <button type="submit" class="danger">Deactivate this agent</button>
              </form>`
            : ''
        }
      </section>

      <section class="card" aria-labelledby="metrics-heading">
        <h2 id="metrics-heading">Metrics</h2>
        <div class="range">
          <label for="range">Range</label>
          <select id="range" name="range">
            ${RANGES.map((r) => html`<option value="${r.id}" data-seconds="${r.seconds}" data-step="${r.step}">${r.label}</option>`)}
          </select>
        </div>
        <div class="charts" data-agent-id="${agent.id}">
          ${CHARTS.map(
            (c) =>
              html`<figure class="chart" data-paths="${c.paths}" data-rate="${c.rate ? 'true' : ''}">
                <figcaption>${c.title}</figcaption>
                <p class="muted small chart-empty">Charts need JavaScript and metrics from the agent.</p>
              </figure>`,
          )}
        </div>
      </section>

      <section class="card" aria-labelledby="credentials-heading">
        <h2 id="credentials-heading">Credentials</h2>
        ${
          o.issued
            ? html`<div class="notice" role="status">
                <p>New API token <code>${o.issued.prefix}</code>. Copy it now: it is not shown again.</p>
                <label for="new-token">Token</label>
                <input id="new-token" type="text" readonly value="${o.issued.token}" class="code" />
                <button type="button" class="secondary" data-copy="new-token">Copy</button>
              </div>`
            : ''
        }
        <div class="table-scroll">
          <table id="tokens">
            ${tableHead(['Prefix', 'Kind', 'Created', 'Last used', 'State', ''])}
            <tbody>
              ${o.tokens.map(
                (t) =>
                  html`<tr data-prefix="${t.prefix}">
                    <td><code>${t.prefix}</code></td>
                    <td>${t.kind}</td>
                    <td>${when(t.createdAt)}</td>
                    <td>${when(t.lastUsedAt)}</td>
                    <td>${t.revokedAt ? `revoked (${t.revokedReason ?? 'revoked'})` : 'active'}</td>
                    <td>
                      ${
                        t.revokedAt || !o.canManage
                          ? ''
                          : html`<form method="post" action="${base}/tokens/${t.prefix}/revoke" class="inline">
                              ${csrfField(o.csrf)}
                              <button type="submit" class="secondary" aria-label="Revoke ${t.prefix}">Revoke</button>
                            </form>`
                      }
                    </td>
                  </tr>`,
              )}
            </tbody>
          </table>
        </div>
        ${
          active
            ? html`<div class="actions">
                <form method="post" action="${base}/tokens" class="inline">
                  ${csrfField(o.csrf)}
                  <button type="submit">Issue an API token</button>
                </form>
                <form method="post" action="${base}/regenerate" class="inline">
                  ${csrfField(o.csrf)}
                  <button type="submit" class="secondary">Revoke all and issue a new token</button>
                </form>
              </div>`
            : ''
        }
      </section>

      ${
        active && agent.serverId
          ? stockAgentSnippets({ baseUrl: o.baseUrl, serverId: agent.serverId, token: o.issued?.token })
          : ''
      }

      <section class="card" aria-labelledby="alert-history-heading">
        <h2 id="alert-history-heading">Alert history</h2>
        ${
          o.alertEvents.length === 0
            ? html`<p class="muted">No alert has fired or gone pending for this agent.</p>`
            : scrollTable(
                ['When', 'Change', 'Value', 'Notified'],
                o.alertEvents.map(
                  (e) =>
                    html`<tr>
                      <td>${when(e.createdAt)}</td>
                      <td><span class="state-${e.toState}">${e.fromState} → ${e.toState}</span></td>
                      <td>${e.value ?? '—'}</td>
                      <td>${e.suppressed ?? (e.toState === 'pending' ? '—' : 'yes')}</td>
                    </tr>`,
                ),
                { id: 'alert-history' },
              )
        }
      </section>

      <section class="card" aria-labelledby="log-heading">
        <h2 id="log-heading">Audit log</h2>
        ${auditTable(o.events)}
      </section>`,
  });
}
