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

function moreHref(o: SearchPageOptions, cursor: string): string {
  const params = new URLSearchParams({ q: o.q, ...(o.room ? { room_id: o.room } : {}), cursor });
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
              ${o.nextCursor ? html`<p><a id="more" href="${moreHref(o, o.nextCursor)}">More results</a></p>` : ''}
            </section>`
          : ''
      }`,
  });
}
