import type { UserIdentity } from '../../identity/actor.model.js';
import type { SearchHit } from '../../modules/search/search.service.js';
import { html, type SafeHtml } from '../html.js';
import { errorText, layout } from '../layout.js';
import { when } from '../parts.js';

export interface SearchPageOptions {
  user: UserIdentity;
  csrf: string;
  q: string;
  /** The room the search is limited to, as the person gave it (uuid or slug). */
  room?: string | undefined;
  /** Undefined until a search ran (an empty box, or refused input). */
  hits?: SearchHit[] | undefined;
  nextCursor?: string | null | undefined;
  /** Set when the search ranked only its newest matches: the instant older matches start (search.service). */
  rankedSince?: string | null | undefined;
  /** Only messages before this instant (ISO), as the person's link gave it. */
  to?: string | undefined;
  error?: string | undefined;
}

/** The snippet as text, with <mark> around the matched words only: every piece is escaped. */
export function snippetHtml(hit: Pick<SearchHit, 'parts'>): SafeHtml {
  return html`${hit.parts.map((p) => (p.highlighted ? html`<mark>${p.text}</mark>` : html`${p.text}`))}`;
}

function senderOf(hit: SearchHit, user: UserIdentity): string {
  if (hit.senderAgentId) return hit.senderAgentName ?? `agent ${hit.senderAgentId.slice(0, 8)}`;
  if (hit.senderUserId)
    return hit.senderUserId === user.id ? `${user.name} (you)` : `person ${hit.senderUserId.slice(0, 8)}`;
  return 'system';
}

function searchHref(o: SearchPageOptions, extra: { cursor?: string; to?: string }): string {
  const params = new URLSearchParams({ q: o.q, ...(o.room ? { room_id: o.room } : {}), ...extra });
  return `/search?${params.toString()}`;
}

export function searchPage(o: SearchPageOptions): string {
  const results = o.hits;
  return layout({
    title: o.q ? `Search: ${o.q}` : 'Search',
    user: o.user,
    csrf: o.csrf,
    body: html`<section class="card">
        <h1>Search messages</h1>
        <form method="get" action="/search" role="search" class="search">
          <label for="search-q">Words to find</label>
          <input id="search-q" type="search" name="q" value="${o.q}" maxlength="500" required />
          ${o.room ? html`<input type="hidden" name="room_id" value="${o.room}" />` : ''}
          ${o.to ? html`<input type="hidden" name="to" value="${o.to}" />` : ''}
          <button type="submit">Search</button>
        </form>
        <p class="muted small">
          Like a web search: <code>deploy failed</code> finds both words, <code>"deploy failed"</code> the phrase,
          <code>deploy or rollback</code> either, <code>-staging</code> leaves a word out. Words match their other forms
          (<code>running</code> finds <code>run</code>).
          ${o.room ? html`Only in one room — <a href="/search?${new URLSearchParams({ q: o.q }).toString()}">search every room</a>.` : ''}
        </p>
        ${errorText(o.error)}
      </section>
      ${
        results
          ? html`<section class="card" aria-labelledby="results-heading">
              <h2 id="results-heading">Results</h2>
              ${
                results.length === 0
                  ? html`<p class="muted" id="no-results">No message you can read matches.</p>`
                  : html`<ol id="results" class="results">
                      ${results.map(
                        (hit) =>
                          html`<li data-message-id="${hit.id}">
                            <div class="meta">
                              <a href="/rooms/${hit.roomId}">${hit.roomName}</a> ·
                              <strong>${senderOf(hit, o.user)}</strong> ${when(hit.createdAt)} ·
                              <a href="/rooms/${hit.roomId}?before=${hit.seq + 1}">in context</a>
                            </div>
                            <p class="snippet">${snippetHtml(hit)}</p>
                          </li>`,
                      )}
                    </ol>`
              }
              ${
                o.nextCursor
                  ? html`<p>
                      <a id="more" href="${searchHref(o, { cursor: o.nextCursor, ...(o.to ? { to: o.to } : {}) })}"
                        >More results</a
                      >
                    </p>`
                  : ''
              }
              ${
                o.rankedSince
                  ? html`<p class="muted small" id="ranked-since">
                      Ranked among the newest matches only (since ${when(new Date(o.rankedSince))}) —
                      <a id="older" href="${searchHref(o, { to: o.rankedSince })}">search older messages</a>.
                    </p>`
                  : ''
              }
              ${
                o.to
                  ? html`<p class="muted small" id="searching-before">
                      Messages before ${when(new Date(o.to))} —
                      <a href="${searchHref(o, {})}">search all of them</a>.
                    </p>`
                  : ''
              }
            </section>`
          : ''
      }`,
  });
}
