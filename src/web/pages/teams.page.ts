import type { TeamRole } from '../../db/schema/index.js';
import type { UserIdentity } from '../../identity/actor.model.js';
import { html } from '../html.js';
import { layout } from '../layout.js';
import { csrfField, scrollTable, when } from '../parts.js';

interface Base {
  user: UserIdentity;
  csrf: string;
}

export function teamsPage(
  o: Base & { teams: { id: string; name: string; role: TeamRole; createdAt: Date }[] },
): string {
  const rows = o.teams.map(
    (t) =>
      html`<tr>
        <td><a href="/teams/${t.id}">${t.name}</a></td>
        <td>${t.role}</td>
        <td>${when(t.createdAt)}</td>
      </tr>`,
  );
  return layout({
    title: 'Teams',
    user: o.user,
    csrf: o.csrf,
    body: html`<section class="card">
        <h1>Teams</h1>
        ${
          o.teams.length === 0
            ? html`<p class="muted">You are in no team yet.</p>`
            : scrollTable(['Team', 'Your role', 'Created'], rows, { id: 'teams' })
        }
      </section>
      <section class="card" aria-labelledby="new-team-heading">
        <h2 id="new-team-heading">New team</h2>
        <form method="post" action="/teams" class="stack">
          ${csrfField(o.csrf)}
          <label for="team-name">Team name</label>
          <input id="team-name" name="name" type="text" required maxlength="100" />
          <button type="submit">Create team</button>
        </form>
      </section>`,
  });
}

export interface TeamPageOptions extends Base {
  team: { id: string; name: string };
  members: { userId: string; email: string; name: string; role: TeamRole; createdAt: Date }[];
  /** The caller may add and remove members. */
  canManage: boolean;
}

export function teamPage(o: TeamPageOptions): string {
  const base = `/teams/${o.team.id}`;
  const removable = (m: TeamPageOptions['members'][number]) =>
    m.role !== 'owner' && (o.canManage || m.userId === o.user.id);
  const rows = o.members.map(
    (m) =>
      html`<tr>
        <td>${m.name}</td>
        <td>${m.email}</td>
        <td>${m.role}</td>
        <td>${when(m.createdAt)}</td>
        <td>
          ${
            removable(m)
              ? html`<form method="post" action="${base}/members/${m.userId}/remove" class="inline">
                  ${csrfField(o.csrf)}
                  <button type="submit" class="secondary" aria-label="Remove ${m.email}">
                    ${m.userId === o.user.id ? 'Leave' : 'Remove'}
                  </button>
                </form>`
              : ''
          }
        </td>
      </tr>`,
  );
  return layout({
    title: o.team.name,
    user: o.user,
    csrf: o.csrf,
    body: html`<section class="card">
        <h1>${o.team.name}</h1>
        ${scrollTable(['Name', 'Email', 'Role', 'Since', ''], rows, { id: 'members', caption: 'Members' })}
      </section>
      ${
        o.canManage
          ? html`<section class="card" aria-labelledby="add-heading">
              <h2 id="add-heading">Add or change a member</h2>
              <form method="post" action="${base}/members" class="stack">
                ${csrfField(o.csrf)}
                <label for="member-email">Email</label>
                <input id="member-email" name="email" type="email" required />
                <label for="member-role">Role</label>
                <select id="member-role" name="role">
                  <option value="viewer">viewer: sees the team's agents</option>
                  <option value="member" selected>member: also uses them</option>
                  <option value="admin">admin: also manages them (owner only)</option>
                </select>
                <button type="submit">Save member</button>
              </form>
            </section>`
          : ''
      }`,
  });
}
