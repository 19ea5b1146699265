import type { AgentRow } from '../../db/schema/index.js';
import type { UserIdentity } from '../../identity/actor.model.js';
import { html } from '../html.js';
import { layout } from '../layout.js';
import { scrollTable, when } from '../parts.js';

/** `2 firing`, linking to the alerts page; nothing when none fires. */
function firingBadge(count: number) {
  return count > 0 ? html`<a class="alert-count" href="/alerts" data-firing="${count}">${count} firing</a>` : '';
}

export function dashboardPage(options: {
  user: UserIdentity;
  csrf: string;
  agents: AgentRow[];
  isOnline: (a: AgentRow) => boolean;
  /** Alerts firing per agent id. */
  firing: ReadonlyMap<string, number>;
}): string {
  const rows = options.agents.map((a) => {
    const online = options.isOnline(a);
    return html`<tr data-agent-id="${a.id}">
      <td><a href="/agents/${a.id}">${a.displayName ?? a.name}</a></td>
      <td><code>${a.serverId ?? '—'}</code></td>
      <td>${a.status}</td>
      <td><span class="badge ${online ? 'online' : 'offline'}">${online ? 'online' : 'offline'}</span></td>
      <td>${a.lastSeenAt ? when(a.lastSeenAt) : 'never'}</td>
      <td>${firingBadge(options.firing.get(a.id) ?? 0)}</td>
    </tr>`;
  });
  return layout({
    title: 'Dashboard',
    user: options.user,
    csrf: options.csrf,
    scripts: ['/static/dashboard.js'],
    body: html`<section class="card">
      <h1>Agents</h1>
      <p class="muted" id="agents-empty" ${options.agents.length > 0 ? 'hidden' : ''}>
        No agents yet. <a href="/link">Link a device</a> to add one.
      </p>
      ${scrollTable(['Name', 'server_id', 'Status', 'Online', 'Last seen', 'Alerts'], rows, {
        id: 'agents',
        caption: "Your agents and your teams' agents",
        hidden: options.agents.length === 0,
      })}
      <p class="muted small" id="live-status" aria-live="polite"></p>
    </section>`,
  });
}
