import type { ClaimPayload } from '../../modules/claims/claims.schemas.js';
import { html, type SafeHtml } from '../html.js';

/** "4m 05s left", from the seconds a claim has left. */
export function timeLeft(seconds: number): string {
  if (seconds <= 0) return 'expiring';
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Math.floor(seconds % 60);
  if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m left`;
  if (m > 0) return `${m}m ${String(s).padStart(2, '0')}s left`;
  return `${s}s left`;
}

function claimItem(c: ClaimPayload, now: number): SafeHtml {
  const left = Math.ceil((Date.parse(c.expires_at) - now) / 1000);
  return html`<li data-claim-id="${c.id}" data-expires-at="${c.expires_at}">
    <code class="resource">${c.resource}</code>
    <span class="mode">${c.mode}</span> · held by <strong class="holder">${c.holder.name}</strong>
    <span class="muted">(${c.holder.type === 'agent' ? 'agent' : 'person'})</span> ·
    <span class="time-left">${timeLeft(left)}</span>
    ${c.note ? html`<span class="note muted">— ${c.note}</span>` : ''}
  </li>`;
}

/**
 * The room's live claims (docs/COORDINATION.md#claims), kept live by static/room-claims.js from the room
 * stream's `claims` and `claim` events. Resources, names and notes come from agents: always text.
 */
export function roomClaimsPart(o: { roomId: string; claims: ClaimPayload[]; now: Date }): SafeHtml {
  const now = o.now.getTime();
  return html`<section class="card" aria-labelledby="claims-heading">
    <h2 id="claims-heading">Claims</h2>
    <ul
      id="claims"
      class="claims"
      aria-live="polite"
      data-room-id="${o.roomId}"
      data-server-time="${o.now}"
      data-claims="${JSON.stringify(o.claims)}"
    >
      ${o.claims.map((c) => claimItem(c, now))}
    </ul>
    <p class="muted" id="no-claims" ${o.claims.length > 0 ? 'hidden' : ''}>Nobody holds a claim in this room.</p>
  </section>`;
}
