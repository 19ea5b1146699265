import type { StoredMessage } from '../../lib/events.js';
import { mentionSegments } from '../../modules/rooms/mentions.js';
import { html, type SafeHtml } from '../html.js';
import { csrfField, when } from '../parts.js';

/** A thread shown open, with its replies (oldest first): after a reply, or from a `?thread=` link. */
export interface OpenThread {
  seq: number;
  replies: StoredMessage[];
}

export interface RoomMessagesOptions {
  /** `/rooms/:id`: where the reply forms post. */
  base: string;
  names: Record<string, string>;
  /** Oldest first; replies among them are left out of the list (they belong under their parent). */
  messages: StoredMessage[];
  /** The CSRF token of the reply forms; undefined when the person may not post here (no forms). */
  replyCsrf: string | undefined;
  openThread?: OpenThread | undefined;
}

/** The body as text, its mentions of agents in <mark>: every piece is escaped (names come from agents). */
function bodyOf(m: StoredMessage) {
  const names = new Set((m.mentions ?? []).map((x) => x.name.toLowerCase()));
  return mentionSegments(m.body, names).map((s) => (s.mention ? html`<mark class="mention">${s.text}</mark>` : s.text));
}

function senderOf(m: StoredMessage, names: Record<string, string>): string {
  const id = m.senderAgentId ?? m.senderUserId;
  if (!id) return 'system';
  return names[id] ?? `${m.senderAgentId ? 'agent' : 'person'} ${id.slice(0, 8)}`;
}

function item(m: StoredMessage, names: Record<string, string>, thread: SafeHtml | string = ''): SafeHtml {
  return html`<li id="seq-${m.seq}" data-seq="${m.seq}">
    <div class="meta"><strong>${senderOf(m, names)}</strong> ${when(m.createdAt)}</div>
    <p class="body">${bodyOf(m)}</p>
    ${thread}
  </li>`;
}

/**
 * A reply in thread `seq`, posted by the room's own form route: a plain form post and a 303 back to the thread
 * without JavaScript. The page's `<template>` carries one with an empty seq for room.js to clone.
 */
export function replyForm(base: string, csrf: string, seq: number | ''): SafeHtml {
  return html`<form method="post" action="${base}/messages" class="reply">
    ${csrfField(csrf)}
    <input type="hidden" name="reply_to_seq" value="${seq}" />
    <label for="reply-${seq}">Reply (sent as you)</label>
    <textarea id="reply-${seq}" name="body" rows="2" required maxlength="10000"></textarea>
    <button type="submit">Reply</button>
  </form>`;
}

function replyCountText(count: number): string {
  return count === 0 ? 'Reply' : `${count} ${count === 1 ? 'reply' : 'replies'}`;
}

/** "N replies" to expand (room.js reads them when opened); "Reply" on a message without any, for who may post. */
function threadOf(m: StoredMessage, o: RoomMessagesOptions): SafeHtml | string {
  if (m.replyCount === 0 && !o.replyCsrf) return '';
  const open = o.openThread?.seq === m.seq ? o.openThread : undefined;
  return html`<details class="thread" data-thread-seq="${m.seq}" ${open ? html`open data-loaded="true"` : ''}>
    <summary>${replyCountText(m.replyCount)}</summary>
    <ol class="replies">
      ${open ? open.replies.map((r) => item(r, o.names)) : ''}
    </ol>
    ${o.replyCsrf ? replyForm(o.base, o.replyCsrf, m.seq) : ''}
  </details>`;
}

export function roomMessagesPart(o: RoomMessagesOptions): SafeHtml[] {
  return o.messages.filter((m) => m.replyToSeq === null).map((m) => item(m, o.names, threadOf(m, o)));
}
