import { html } from '../html.js';
import { errorText, layout } from '../layout.js';

export function signInPage(options: { csrf: string; next: string; email?: string; error?: string }): string {
  return layout({
    title: 'Sign in',
    narrow: true,
    body: html`<section class="card">
      <h1>Sign in to AgentHub</h1>
      ${errorText(options.error)}
      <form method="post" action="/login">
        <input type="hidden" name="_csrf" value="${options.csrf}" />
        <input type="hidden" name="next" value="${options.next}" />
        <label for="email">Email</label>
        <input
          id="email"
          name="email"
          type="email"
          autocomplete="username"
          required
          value="${options.email ?? ''}"
          autofocus
        />
        <label for="password">Password</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required />
        <div class="actions"><button type="submit">Sign in</button></div>
      </form>
      <p class="muted">No password? Ask an administrator for a sign-in link.</p>
    </section>`,
  });
}
