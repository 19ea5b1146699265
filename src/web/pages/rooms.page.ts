import type { RoomRow } from '../../db/schema/index.js';
import type { StoredMessage } from '../../lib/events.js';
import { mentionSegments } from '../../modules/rooms/mentions.js';
import type { UserIdentity } from '../../identity/actor.model.js';
import { html } from '../html.js';
import { errorText, layout } from '../layout.js';
import { csrfField, scrollTable, when } from '../parts.js';
import { roomClaimsPart } from './room-claims.part.js';
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
  error?: string | undefined;
}

/** Who sent a message, by the names the page knows: members, and the person reading. */
export function senderNames(members: RoomMember[], user: UserIdentity): Record<string, string> {
  const names: Record<string, string> = { [user.id]: `${user.name} (you)` };
  for (const m of members) names[m.agentId] = m.displayName ?? m.name;
  return names;
}

/** The body as text, its mentions of agents in <mark>: every piece is escaped (names come from agents). */
function bodyOf(m: StoredMessage) {
  const names = new Set((m.mentions ?? []).map((x) => x.name.toLowerCase()));
  return mentionSegments(m.body, names).map((s) => (s.mention ? html`<mark class="mention">${s.text}</mark>` : s.text));
}

function threadOf(m: StoredMessage) {
  if (m.replyCount === 0) return '';
  return html`<details class="thread" data-thread-seq="${m.seq}">
    <summary>${m.replyCount} ${m.replyCount === 1 ? 'reply' : 'replies'}</summary>
    <ol class="replies"></ol>
  </details>`;
}

function senderOf(m: StoredMessage, names: Record<string, string>): string {
  const id = m.senderAgentId ?? m.senderUserId;
  if (!id) return 'system';
  return names[id] ?? `${m.senderAgentId ? 'agent' : 'person'} ${id.slice(0, 8)}`;
}

export function roomPage(o: RoomPageOptions): string {
  const { room } = o;
  const names = senderNames(o.members, o.user);
  const base = `/rooms/${room.id}`;
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
          ${o.messages
            .filter((m) => m.replyToSeq === null)
            .map(
              (m) =>
                html`<li data-seq="${m.seq}">
                  <div class="meta"><strong>${senderOf(m, names)}</strong> ${when(m.createdAt)}</div>
                  <p class="body">${bodyOf(m)}</p>
                  ${threadOf(m)}
                </li>`,
            )}
        </ol>
        ${o.messages.length === 0 ? html`<p class="muted" id="no-messages">No messages yet.</p>` : ''}
        ${o.latest ? '' : html`<p><a href="${base}">Newest messages</a></p>`}
        <p class="muted small" id="live-status" aria-live="polite"></p>
        ${
          o.canPost && !room.archivedAt
            ? html`<form method="post" action="${base}/messages" class="post">
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
