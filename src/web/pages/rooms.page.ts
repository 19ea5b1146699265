import type { RoomRow } from '../../db/schema/index.js';
import type { StoredMessage } from '../../lib/events.js';
import type { UserIdentity } from '../../identity/actor.model.js';
import { html } from '../html.js';
import { errorText, layout } from '../layout.js';
import { csrfField, scrollTable, when } from '../parts.js';
import { roomClaimsPart } from './room-claims.part.js';
import { replyForm, roomMessagesPart, type OpenThread } from './room-messages.part.js';
import type { ClaimPayload } from '../../modules/claims/claims.schemas.js';

interface Base {
  user: UserIdentity;
  csrf: string;
}

export function roomsPage(o: Base & { rooms: RoomRow[] }): string {
  const rows = o.rooms.map(
    (r) =>
      html`<tr>
        <td><a href="/rooms/${r.id}">${r.name}</a></td>
        <td><code>${r.slug}</code></td>
        <td>${r.lastSeq}</td>
        <td>${r.kind === 'direct' ? 'direct' : r.teamId ? 'team' : 'personal'}</td>
        <td>${r.archivedAt ? html`archived ${when(r.archivedAt)}` : 'open'}</td>
      </tr>`,
  );
  return layout({
    title: 'Rooms',
    user: o.user,
    csrf: o.csrf,
    body: html`<section class="card">
      <h1>Rooms</h1>
      ${
        o.rooms.length === 0
          ? html`<p class="muted">No rooms yet. Agents and the API create them (<code>POST /api/v1/rooms</code>).</p>`
          : scrollTable(['Room', 'Slug', 'Messages', 'Owner', 'State'], rows, { id: 'rooms' })
      }
    </section>`,
  });
}

export interface RoomMember {
  agentId: string;
  name: string;
  displayName: string | null;
  serverId: string | null;
}

export interface RoomPageOptions extends Base {
  room: RoomRow;
  members: RoomMember[];
  /** Oldest first. */
  messages: StoredMessage[];
  /** The seq to ask for older messages with (REST `cursor`), when there are any. */
  olderCursor: string | null;
  /** Whether the page shows the newest messages (live updates append to it). */
  latest: boolean;
  canPost: boolean;
  /** The room's live claims, as the wire carries them (the claims part renders them). */
  claims: ClaimPayload[];
  openThread?: OpenThread | undefined;
  error?: string | undefined;
}

/** Who sent a message, by the names the page knows: members, and the person reading. */
export function senderNames(members: RoomMember[], user: UserIdentity): Record<string, string> {
  const names: Record<string, string> = { [user.id]: `${user.name} (you)` };
  for (const m of members) names[m.agentId] = m.displayName ?? m.name;
  return names;
}

export function roomPage(o: RoomPageOptions): string {
  const { room } = o;
  const names = senderNames(o.members, o.user);
  const base = `/rooms/${room.id}`;
  const posting = o.canPost && !room.archivedAt;
  return layout({
    title: room.name,
    user: o.user,
    csrf: o.csrf,
    scripts: ['/static/room.js', '/static/room-claims.js'],
    body: html`<section class="card">
        <h1>${room.name}</h1>
        <p class="muted">
          <code>${room.slug}</code> · ${room.archivedAt ? html`archived ${when(room.archivedAt)}` : 'open'}
        </p>
        ${errorText(o.error)}
        <details>
          <summary>Members (${o.members.length})</summary>
          <ul class="members">
            ${o.members.map(
              (m) =>
                html`<li>
                  <a href="/agents/${m.agentId}">${m.displayName ?? m.name}</a>
                  ${m.serverId ? html`<code class="small">${m.serverId}</code>` : ''}
                </li>`,
            )}
          </ul>
        </details>
      </section>

      ${roomClaimsPart({ roomId: room.id, claims: o.claims, now: new Date() })}

      <section class="card" aria-labelledby="messages-heading">
        <h2 id="messages-heading">Messages</h2>
        ${
          o.olderCursor
            ? html`<p>
                <a id="older" href="${base}?before=${o.olderCursor}" data-cursor="${o.olderCursor}">Older messages</a>
              </p>`
            : ''
        }
        <ol
          id="messages"
          class="messages"
          aria-live="polite"
          data-room-id="${room.id}"
          data-last-seq="${o.messages.at(-1)?.seq ?? (o.latest ? room.lastSeq : '')}"
          data-latest="${o.latest ? 'true' : ''}"
          data-names="${JSON.stringify(names)}"
        >
          ${roomMessagesPart({
            base,
            names,
            messages: o.messages,
            replyCsrf: posting ? o.csrf : undefined,
            openThread: o.openThread,
          })}
        </ol>
        ${o.messages.length === 0 ? html`<p class="muted" id="no-messages">No messages yet.</p>` : ''}
        ${o.latest ? '' : html`<p><a href="${base}">Newest messages</a></p>`}
        <p class="muted small" id="live-status" aria-live="polite"></p>
        ${
          posting
            ? html`<template id="reply-form">${replyForm(base, o.csrf, '')}</template>
                <form method="post" action="${base}/messages" class="post">
                  ${csrfField(o.csrf)}
                  <label for="body">Message (sent as you)</label>
                  <textarea id="body" name="body" rows="2" required maxlength="10000"></textarea>
                  <button type="submit">Send</button>
                </form>`
            : ''
        }
      </section>`,
  });
}
