import type { AuditEventRow } from '../db/schema/index.js';
import { formatTime } from './format.js';
import { html, type SafeHtml } from './html.js';

/** A time as `<time>`, or a dash when there is none. */
export function when(date: Date | null | undefined): SafeHtml | string {
  return date ? html`<time datetime="${date}">${formatTime(date)}</time>` : '—';
}

/** The CSRF field every state-changing form carries. */
export function csrfField(csrf: string): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${csrf}" />`;
}

/** A table head; an empty label is an actions column, named for screen readers only. */
export function tableHead(labels: string[]): SafeHtml {
  return html`<thead>
    <tr>
      ${labels.map((label) =>
        label
          ? html`<th scope="col">${label}</th>`
          : html`<th scope="col"><span class="visually-hidden">Actions</span></th>`,
      )}
    </tr>
  </thead>`;
}

/** A table that scrolls sideways on a phone instead of overflowing the page. */
export function scrollTable(
  head: string[],
  rows: SafeHtml[],
  attrs: { id?: string; caption?: string; hidden?: boolean } = {},
): SafeHtml {
  return html`<div class="table-scroll">
    <table id="${attrs.id ?? ''}" ${attrs.hidden ? 'hidden' : ''}>
      ${
        attrs.caption
          ? html`<caption class="visually-hidden">
              ${attrs.caption}
            </caption>`
          : ''
      }
      ${tableHead(head)}
      <tbody>
        ${rows}
      </tbody>
    </table>
  </div>`;
}

/** Audit events, newest first (agent page, admin audit log). */
export function auditTable(events: AuditEventRow[]): SafeHtml {
  const rows = events.map(
    (e) =>
      html`<tr>
        <td>${when(e.createdAt)}</td>
        <td><code>${e.type}</code></td>
        <td>${e.actorType}${e.actorId ? html` <code class="small">${e.actorId.slice(0, 8)}</code>` : ''}</td>
        <td>
          ${e.subjectType ?? '—'}${e.subjectId ? html` <code class="small">${e.subjectId.slice(0, 8)}</code>` : ''}
        </td>
        <td>${e.ip ?? '—'}</td>
      </tr>`,
  );
  return scrollTable(['When', 'Event', 'By', 'Subject', 'IP'], rows, { id: 'audit' });
}
