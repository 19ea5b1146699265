import type { UserIdentity } from '../identity/actor.model.js';
import { html, type SafeHtml } from './html.js';

export interface PageOptions {
  title: string;
  body: SafeHtml;
  user?: UserIdentity | undefined;
  /** CSRF token for the sign-out form in the header (present when signed in). */
  csrf?: string | undefined;
  /** Narrow centred card layout (sign-in, device approval). */
  narrow?: boolean;
  scripts?: string[];
  styles?: string[];
}

export function layout({ title, body, user, csrf, narrow = false, scripts = [], styles = [] }: PageOptions): string {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} · AgentHub</title>
        <link rel="icon" href="data:," />
        ${styles.map((href) => html`<link rel="stylesheet" href="${href}" />`)}
        <link rel="stylesheet" href="/static/app.css" />
        ${scripts.map((src) => html`<script src="${src}" defer></script>`)}
        ${user ? html`<script src="/static/inbox-badge.js" defer></script>` : ''}
      </head>
      <body>
        <header class="topbar">
          <a class="brand" href="/">AgentHub</a>
          ${
            user
              ? html`<nav aria-label="Main">
                  <a href="/dashboard">Dashboard</a>
                  <a href="/alerts">Alerts</a>
                  <a href="/rooms">Rooms</a>
                  <a href="/inbox" id="inbox-link">Inbox <span id="inbox-badge" class="inbox-badge"></span></a>
                  <a href="/teams">Teams</a>
                  <a href="/link">Link a device</a>
                  <form method="get" action="/search" role="search" class="inline">
                    <input
                      type="search"
                      name="q"
                      aria-label="Search messages"
                      placeholder="Search messages"
                      maxlength="500"
                    />
                  </form>
                  ${user.role === 'admin' ? html`<a href="/admin">Admin</a>` : ''}
                  <form method="post" action="/logout" class="inline">
                    <input type="hidden" name="_csrf" value="${csrf ?? ''}" />
                    <button type="submit" class="link">Sign out ${user.name}</button>
                  </form>
                </nav>`
              : ''
          }
        </header>
        <main class="${narrow ? 'narrow' : 'wide'}">${body}</main>
      </body>
    </html>`.value;
}

export function errorText(message: string | undefined): SafeHtml {
  return message ? html`<p class="alert" role="alert">${message}</p>` : html``;
}

/** A page for a refused or missing resource (the JSON API answers these with the error envelope). */
export function errorPage(options: { title: string; message: string; user?: UserIdentity; csrf?: string }): string {
  return layout({
    title: options.title,
    narrow: true,
    user: options.user,
    csrf: options.csrf,
    body: html`<section class="card">
      <h1>${options.title}</h1>
      ${errorText(options.message)}
      <p><a href="/dashboard">Go to the dashboard</a></p>
    </section>`,
  });
}
