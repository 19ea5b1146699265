import { html, type SafeHtml } from '../html.js';

/** What the snippets need: where AgentHub listens, the agent's server_id and (once) a fresh API token. */
export interface SnippetOptions {
  baseUrl: string;
  serverId: string;
  /** The token just issued; otherwise the snippets say where to get one. */
  token?: string | undefined;
}

const NO_TOKEN = '<API token: issue one above>';

/** Telegraf's outputs.influxdb_v2, pointed at AgentHub's /api/v2/write. */
export function telegrafSnippet({ baseUrl, serverId, token }: SnippetOptions): string {
  return `[agent]
  ## AgentHub binds points to the agent by its server_id: Telegraf's host tag must be it.
  hostname = "${serverId}"

[[outputs.influxdb_v2]]
  urls = ["${baseUrl}"]
  token = "${token ?? NO_TOKEN}"
  organization = "agenthub"
  bucket = "${serverId}"

[[inputs.cpu]]
  percpu = false
  totalcpu = true
[[inputs.mem]]
[[inputs.disk]]
  ignore_fs = ["tmpfs", "devtmpfs", "overlay", "squashfs"]
[[inputs.net]]
[[inputs.system]]`;
}

/** The page section: one copyable block per stock agent format. */
export function stockAgentSnippets(options: SnippetOptions): SafeHtml {
  const blocks = [{ id: 'snippet-telegraf', title: 'Telegraf (telegraf.conf)', text: telegrafSnippet(options) }];
  return html`<section class="card" aria-labelledby="stock-agents-heading">
    <h2 id="stock-agents-heading">Send from Telegraf</h2>
    <p class="muted">
      ${
        options.token
          ? 'This snippet carries the token issued above: copy it now, it is not shown again.'
          : 'Issue an API token above and this snippet will carry it (once).'
      }
      What each format maps to is in docs/INGEST.md.
    </p>
    ${blocks.map(
      (b) =>
        html`<figure class="snippet">
          <figcaption>${b.title}</figcaption>
          <pre id="${b.id}" class="code"><code>${b.text}</code></pre>
          <button type="button" class="secondary" data-copy="${b.id}">Copy</button>
        </figure>`,
    )}
  </section>`;
}
