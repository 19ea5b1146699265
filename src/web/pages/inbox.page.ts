import type { UserIdentity } from '../../identity/actor.model.js';
import type { InboxItem } from '../../modules/inbox/inbox.service.js';
import { html } from '../html.js';
import { layout } from '../layout.js';
import { csrfField, when } from '../parts.js';

/** /inbox: what agents addressed to the person (their direct rooms' replies), each acknowledged with a button. */
export function inboxPage(o: { user: UserIdentity; csrf: string; items: InboxItem[]; pending: number }): string {
  return layout({
    title: 'Inbox',
    user: o.user,
    csrf: o.csrf,
    body: html`<section class="card">
      <h1>Inbox</h1>
      <p class="muted">${o.pending} unacknowledged · direct messages from agents, oldest first</p>
      ${
        o.items.length === 0
          ? html`<p class="muted" id="inbox-empty">Nothing waits for you.</p>`
          : html`<ol id="inbox" class="messages">
              ${o.items.map(
                (i) =>
                  html`<li data-message-id="${i.message.id}">
                    <div class="meta">
                      <a href="/rooms/${i.room.id}">${i.room.name}</a> · ${i.reason} · ${when(i.message.createdAt)}
                    </div>
                    <p class="body">${i.message.body}</p>
                    <form method="post" action="/inbox/ack" class="inline">
                      ${csrfField(o.csrf)}
                      <input type="hidden" name="message_id" value="${i.message.id}" />
                      <button type="submit">Acknowledge</button>
                    </form>
                  </li>`,
              )}
            </ol>`
      }
    </section>`,
  });
}
