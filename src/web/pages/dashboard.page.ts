import type { AgentRow } from '../../db/schema/index.js';
import type { UserIdentity } from '../../modules/auth/actor.js';
import { html } from '../html.js';
import { layout } from '../layout.js';

export function dashboardPage(options: {
  user: UserIdentity;
  csrf: string;
  agents: AgentRow[];
  isOnline: (a: AgentRow) => boolean;
}): string {
  const rows = options.agents.map(
    (a) =>
      html`<tr>
        <td>${a.displayName ?? a.name}</td>
        <td><code>${a.serverId ?? '—'}</code></td>
        <td>${a.status}</td>
        <td>
          <span class="badge ${options.isOnline(a) ? 'online' : 'offline'}"
            >${options.isOnline(a) ? 'online' : 'offline'}</span
          >
        </td>
        <td>${a.lastSeenAt ? a.lastSeenAt.toISOString() : 'never'}</td>
      </tr>`,
  );
  return layout({
    title: 'Dashboard',
    user: options.user,
    csrf: options.csrf,
    body: html`<section class="card">
      <h1>Agents</h1>
      ${
        options.agents.length === 0
          ? html`<p class="muted">No agents yet. <a href="/link">Link a device</a> to add one.</p>`
          : html`<table>
              <thead>
                <tr>
                  <th>Name</th>
                  <th>server_id</th>
                  <th>Status</th>
                  <th>Online</th>
                  <th>Last seen</th>
                </tr>
              </thead>
              <tbody>
                ${rows}
              </tbody>
            </table>`
      }
    </section>`,
  });
}
