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

/** The OpenTelemetry Collector's hostmetrics receiver and otlphttp exporter. */
export function collectorSnippet({ baseUrl, serverId, token }: SnippetOptions): string {
  return `receivers:
  hostmetrics:
    collection_interval: 30s
    scrapers:
      cpu: { metrics: { system.cpu.utilization: { enabled: true } } }
      memory: { metrics: { system.memory.utilization: { enabled: true } } }
      filesystem: { metrics: { system.filesystem.utilization: { enabled: true } } }
      network: {}
      load: {}
processors:
  resource:
    attributes:
      - { key: host.name, value: "${serverId}", action: upsert }
exporters:
  otlphttp/agenthub:
    endpoint: ${baseUrl}
    headers:
      Authorization: "Bearer ${token ?? NO_TOKEN}"
service:
  pipelines:
    metrics:
      receivers: [hostmetrics]
      processors: [resource]
      exporters: [otlphttp/agenthub]`;
}

/** Prometheus (or Grafana Agent) remote_write of node_exporter's series for this machine. */
export function remoteWriteSnippet({ baseUrl, serverId, token }: SnippetOptions): string {
  return `remote_write:
  - url: ${baseUrl}/api/v1/prom/write
    authorization:
      credentials: "${token ?? NO_TOKEN}"
    write_relabel_configs:
      # Only this machine's series: AgentHub binds them to the agent by the instance label.
      - source_labels: [instance]
        regex: "${escapeRegex(serverId)}(:[0-9]+)?"
        action: keep`;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\\\$&');
}

/** The page section: one copyable block per stock agent format. */
export function stockAgentSnippets(options: SnippetOptions): SafeHtml {
  const blocks = [
    { id: 'snippet-telegraf', title: 'Telegraf (telegraf.conf)', text: telegrafSnippet(options) },
    { id: 'snippet-otel', title: 'OpenTelemetry Collector (config.yaml)', text: collectorSnippet(options) },
    { id: 'snippet-prometheus', title: 'Prometheus remote_write (prometheus.yml)', text: remoteWriteSnippet(options) },
  ];
  return html`<section class="card" aria-labelledby="stock-agents-heading">
    <h2 id="stock-agents-heading">Send from Telegraf, OpenTelemetry or Prometheus</h2>
    <p class="muted">
      ${
        options.token
          ? 'These snippets carry the token issued above: copy them now, it is not shown again.'
          : 'Issue an API token above and these snippets will carry it (once).'
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
