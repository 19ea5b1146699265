import type { AgentRow, DeviceAuthorizationRow } from '../../db/schema/index.js';
import type { UserIdentity } from '../../identity/actor.model.js';
import { html, type SafeHtml } from '../html.js';
import { errorText, layout } from '../layout.js';

interface Base {
  user: UserIdentity;
  csrf: string;
}

export function linkEntryPage(options: Base & { userCode?: string | undefined; error?: string | undefined }): string {
  return layout({
    title: 'Link a device',
    narrow: true,
    user: options.user,
    csrf: options.csrf,
    body: html`<section class="card">
      <h1>Link a device</h1>
      <p>Enter the code your device shows. It looks like <code>BCDF-GHJK</code>.</p>
      ${errorText(options.error)}
      <form method="post" action="/link">
        <input type="hidden" name="_csrf" value="${options.csrf}" />
        <label for="user_code">Code</label>
        <input
          id="user_code"
          name="user_code"
          type="text"
          inputmode="text"
          autocomplete="one-time-code"
          autocapitalize="characters"
          spellcheck="false"
          maxlength="20"
          required
          value="${options.userCode ?? ''}"
          autofocus
        />
        <div class="actions"><button type="submit">Continue</button></div>
      </form>
    </section>`,
  });
}

function detail(label: string, value: unknown): SafeHtml {
  return html`<tr>
    <th scope="row">${label}</th>
    <td>${value === undefined || value === null || value === '' ? '—' : value}</td>
  </tr>`;
}

export function linkConfirmPage(
  options: Base & {
    request: DeviceAuthorizationRow;
    userCode: string;
    conflict?: AgentRow | undefined;
    teams: { id: string; name: string }[];
    error?: string | undefined;
  },
): string {
  const { request, conflict } = options;
  const info = request.deviceInfo;
  return layout({
    title: 'Approve device',
    narrow: true,
    user: options.user,
    csrf: options.csrf,
    body: html`<section class="card">
      <h1>Link this device to your account?</h1>
      ${errorText(options.error)}
      <p>Only approve if you started this on a device you control.</p>
      <table class="details">
        ${detail('Device', request.deviceName ?? request.clientId)} ${detail('server_id', request.serverId)}
        ${detail('Hostname', info['hostname'])} ${detail('OS', [info['os'], info['arch']].filter(Boolean).join(' / '))}
        ${detail('Agent version', info['version'])} ${detail('Requested from', request.requesterIp)}
        ${detail('Requested at', request.createdAt.toISOString())} ${detail('Code', options.userCode)}
      </table>
      <form method="post" action="/link/approve" id="approve">
        <input type="hidden" name="_csrf" value="${options.csrf}" />
        <input type="hidden" name="user_code" value="${options.userCode}" />
        ${
          options.teams.length > 0
            ? html`<label for="team_id">Owner</label>
                <select id="team_id" name="team_id">
                  <option value="">Me (${options.user.name})</option>
                  ${options.teams.map((t) => html`<option value="${t.id}">Team ${t.name}</option>`)}
                </select>`
            : ''
        }
        ${
          conflict
            ? html`<p class="notice">
                  You already have an active agent with server_id
                  <code>${request.serverId ?? ''}</code> (${conflict.displayName ?? conflict.name}).
                </p>
                <label
                  ><input type="checkbox" name="replace" value="true" /> Replace the existing agent (its credentials
                  stop working)</label
                >`
            : ''
        }
      </form>
      <form method="post" action="/link/deny" id="deny">
        <input type="hidden" name="_csrf" value="${options.csrf}" />
        <input type="hidden" name="user_code" value="${options.userCode}" />
      </form>
      <div class="actions">
        <button type="submit" form="approve">Approve</button>
        <button type="submit" form="deny" class="secondary">Deny</button>
      </div>
    </section>`,
  });
}

export function linkResultPage(options: Base & { title: string; message: string; ok: boolean }): string {
  return layout({
    title: options.title,
    narrow: true,
    user: options.user,
    csrf: options.csrf,
    body: html`<section class="card">
      <h1>${options.title}</h1>
      <p class="${options.ok ? 'notice' : 'alert'}" role="status">${options.message}</p>
      <p><a href="/dashboard">Go to the dashboard</a> · <a href="/link">Link another device</a></p>
    </section>`,
  });
}
