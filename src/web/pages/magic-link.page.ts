import { html } from '../html.js';
import { errorText, layout } from '../layout.js';

/** The landing page of a sign-in link: only its button (a POST) signs in, so link scanners consume nothing. */
export function magicLinkPage(options: { csrf: string; action: string }): string {
  return layout({
    title: 'Sign in',
    narrow: true,
    body: html`<section class="card">
      <h1>Sign in to AgentHub</h1>
      <p>This one-time link signs you in. It works once and expires five minutes after it was issued.</p>
      <form method="post" action="${options.action}">
        <input type="hidden" name="_csrf" value="${options.csrf}" />
        <div class="actions"><button type="submit">Sign in</button></div>
      </form>
    </section>`,
  });
}

export function bootstrapPage(options: {
  csrf: string;
  action: string;
  error?: string;
  email?: string;
  name?: string;
}): string {
  return layout({
    title: 'Set up AgentHub',
    narrow: true,
    body: html`<section class="card">
      <h1>Create the first administrator</h1>
      <p>Welcome. This one-time link creates the administrator account of this AgentHub.</p>
      ${errorText(options.error)}
      <form method="post" action="${options.action}">
        <input type="hidden" name="_csrf" value="${options.csrf}" />
        <label for="name">Your name</label>
        <input
          id="name"
          name="name"
          type="text"
          autocomplete="name"
          required
          maxlength="100"
          value="${options.name ?? ''}"
        />
        <label for="email">Email</label>
        <input id="email" name="email" type="email" autocomplete="username" required value="${options.email ?? ''}" />
        <label for="password">Password (at least 10 characters)</label>
        <input id="password" name="password" type="password" autocomplete="new-password" minlength="10" required />
        <div class="actions"><button type="submit">Create administrator</button></div>
      </form>
    </section>`,
  });
}

export function invalidLinkPage(): string {
  return layout({
    title: 'Link expired',
    narrow: true,
    body: html`<section class="card">
      <h1>This link cannot be used</h1>
      ${errorText('The sign-in link is invalid, has expired, or was already used.')}
      <p><a href="/login">Go to sign in</a> or ask an administrator for a new link.</p>
    </section>`,
  });
}
