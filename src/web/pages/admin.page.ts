import type { AuditEventRow, UserRow } from '../../db/schema/index.js';
import { userPlans, userRoles } from '../../db/schema/index.js';
import type { UserIdentity } from '../../identity/actor.model.js';
import { html, type SafeHtml } from '../html.js';
import { layout } from '../layout.js';
import { auditTable, csrfField, scrollTable, when } from '../parts.js';

interface Base {
  user: UserIdentity;
  csrf: string;
}

function options(values: readonly string[], selected: string): SafeHtml[] {
  return values.map((v) => html`<option value="${v}" ${v === selected ? 'selected' : ''}>${v}</option>`);
}

function adminNav(): SafeHtml {
  return html`<nav aria-label="Admin" class="actions">
    <a href="/admin">Users and plans</a> <a href="/admin/teams">All teams</a> <a href="/admin/audit">Audit log</a>
  </nav>`;
}

export interface AdminPageOptions extends Base {
  users: UserRow[];
  planLimits: Record<UserRow['plan'], number>;
}

export function adminPage(o: AdminPageOptions): string {
  const userRows = o.users.map((u) => {
    const form = `user-${u.id}`;
    return html`<tr data-user-id="${u.id}">
      <td>${u.name}</td>
      <td>${u.email}</td>
      <td>
        <select name="role" form="${form}" aria-label="Role of ${u.email}">
          ${options(userRoles, u.role)}
        </select>
      </td>
      <td>
        <select name="plan" form="${form}" aria-label="Plan of ${u.email}">
          ${options(userPlans, u.plan)}
        </select>
      </td>
      <td>
        <select name="disabled" form="${form}" aria-label="State of ${u.email}">
          <option value="false" ${u.disabledAt ? '' : 'selected'}>active</option>
          <option value="true" ${u.disabledAt ? 'selected' : ''}>disabled</option>
        </select>
      </td>
      <td>${when(u.createdAt)}</td>
      <td>
        <form id="${form}" method="post" action="/admin/users/${u.id}" class="inline">
          ${csrfField(o.csrf)}
          <button type="submit" class="secondary" aria-label="Save ${u.email}">Save</button>
        </form>
      </td>
    </tr>`;
  });
  const planRows = userPlans.map(
    (plan) =>
      html`<tr>
        <td>${plan}</td>
        <td>${o.planLimits[plan]}</td>
        <td>${o.users.filter((u) => u.plan === plan).length}</td>
      </tr>`,
  );
  return layout({
    title: 'Admin',
    user: o.user,
    csrf: o.csrf,
    body: html`<section class="card">
        <h1>Users</h1>
        ${adminNav()}
        ${scrollTable(['Name', 'Email', 'Role', 'Plan', 'State', 'Created', ''], userRows, { id: 'users' })}
      </section>
      <section class="card" aria-labelledby="new-user-heading">
        <h2 id="new-user-heading">New user</h2>
        <form method="post" action="/admin/users" class="stack">
          ${csrfField(o.csrf)}
          <label for="new-email">Email</label>
          <input id="new-email" name="email" type="email" required />
          <label for="new-name">Name</label>
          <input id="new-name" name="name" type="text" required maxlength="100" />
          <label for="new-password">Password (optional: without one, sign-in is by magic link)</label>
          <input id="new-password" name="password" type="password" minlength="10" autocomplete="new-password" />
          <label for="new-role">Role</label>
          <select id="new-role" name="role">
            ${options(userRoles, 'user')}
          </select>
          <label for="new-plan">Plan</label>
          <select id="new-plan" name="plan">
            ${options(userPlans, 'free')}
          </select>
          <button type="submit">Create user</button>
        </form>
      </section>
      <section class="card" aria-labelledby="plans-heading">
        <h2 id="plans-heading">Plans</h2>
        <p class="muted small">Active agents a person may link; set with PLAN_LIMIT_FREE, _PRO and _ENTERPRISE.</p>
        ${scrollTable(['Plan', 'Active agents allowed', 'Users'], planRows, { id: 'plans' })}
      </section>`,
  });
}

export interface TeamSummary {
  id: string;
  name: string;
  ownerEmail: string;
  members: number;
  createdAt: Date;
}

export function allTeamsPage(o: Base & { teams: TeamSummary[] }): string {
  const rows = o.teams.map(
    (t) =>
      html`<tr data-team-id="${t.id}">
        <td><a href="/teams/${t.id}">${t.name}</a></td>
        <td>${t.ownerEmail}</td>
        <td>${String(t.members)}</td>
        <td>${when(t.createdAt)}</td>
      </tr>`,
  );
  return layout({
    title: 'All teams',
    user: o.user,
    csrf: o.csrf,
    body: html`<section class="card">
      <h1>All teams</h1>
      ${adminNav()}
      ${
        o.teams.length === 0
          ? html`<p>No teams yet.</p>`
          : scrollTable(['Team', 'Owner', 'Members', 'Created'], rows, { id: 'all-teams' })
      }
    </section>`,
  });
}

export interface AuditFilters {
  type?: string | undefined;
  actor_id?: string | undefined;
  subject_type?: string | undefined;
  subject_id?: string | undefined;
}

export function auditPage(
  o: Base & { events: AuditEventRow[]; filters: AuditFilters; nextCursor: string | null },
): string {
  const field = (name: keyof AuditFilters, label: string) =>
    html`<div>
      <label for="f-${name}">${label}</label>
      <input id="f-${name}" name="${name}" type="text" value="${o.filters[name] ?? ''}" />
    </div>`;
  const older = new URLSearchParams(
    Object.entries({ ...o.filters, cursor: o.nextCursor ?? '' }).filter((e): e is [string, string] => Boolean(e[1])),
  );
  return layout({
    title: 'Audit log',
    user: o.user,
    csrf: o.csrf,
    body: html`<section class="card">
      <h1>Audit log</h1>
      ${adminNav()}
      <form method="get" action="/admin/audit" class="filters" role="search">
        ${field('type', 'Event type')} ${field('actor_id', 'Actor id')} ${field('subject_type', 'Subject type')}
        ${field('subject_id', 'Subject id')}
        <div><button type="submit">Filter</button> <a href="/admin/audit">Clear</a></div>
      </form>
      ${auditTable(o.events)}
      ${o.nextCursor ? html`<p><a href="/admin/audit?${older.toString()}">Older events</a></p>` : ''}
    </section>`,
  });
}
