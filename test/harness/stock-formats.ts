import { createRequire } from 'node:module';
import { startTestServer } from './app.js';
import { createUser, signInAdmin } from './identity.js';

const require = createRequire(import.meta.url);
// The remote_write client's own serializer (protobufjs with Prometheus' remote.proto) and snappy.
const remoteWrite = require('prometheus-remote-write') as {
  serialize(request: { timeseries: RemoteSeries[] }): Promise<Uint8Array>;
};
const snappy = require('snappyjs') as { compress(input: Uint8Array): Uint8Array };

export interface RemoteSeries {
  labels: { name: string; value: string }[];
  samples: { value: number; timestamp: number }[];
}

/** A remote_write 1.0 body as Prometheus sends it: a snappy-compressed protobuf WriteRequest. */
export async function remoteWriteBody(series: RemoteSeries[]): Promise<Buffer> {
  return Buffer.from(snappy.compress(await remoteWrite.serialize({ timeseries: series })));
}

/** One gauge series of `instance` at `ms`. */
export function gaugeSeries(
  name: string,
  instance: string,
  value: number,
  ms: number,
  labels: Record<string, string> = {},
) {
  return {
    labels: [
      { name: '__name__', value: name },
      { name: 'instance', value: instance },
      { name: 'job', value: 'node' },
      ...Object.entries(labels).map(([n, v]) => ({ name: n, value: v })),
    ],
    samples: [{ value, timestamp: ms }],
  };
}

/** A minimal OTLP/JSON ExportMetricsServiceRequest: one gauge of one resource. */
export function otlpJsonBody(
  hostName: string,
  name: string,
  value: number,
  ms: number,
  attributes: Record<string, string> = {},
): string {
  return JSON.stringify({
    resourceMetrics: [
      {
        resource: { attributes: [{ key: 'host.name', value: { stringValue: hostName } }] },
        scopeMetrics: [
          {
            scope: { name: 'agenthub-test' },
            metrics: [
              {
                name,
                gauge: {
                  dataPoints: [
                    {
                      timeUnixNano: String(BigInt(ms) * 1_000_000n),
                      asDouble: value,
                      attributes: Object.entries(attributes).map(([key, v]) => ({ key, value: { stringValue: v } })),
                    },
                  ],
                },
              },
            ],
          },
        ],
      },
    ],
  });
}

/**
 * What the stock-agent ingestion suites share: a listening server (alert webhooks may reach a receiver on this
 * machine), an admin, the owner of the suite's agents and a person who owns none of them.
 */
export async function stockAgentServer() {
  const t = await startTestServer({ config: { ALERT_WEBHOOK_ALLOW_PRIVATE: true } });
  const admin = await signInAdmin(t);
  return { t, admin, owner: await createUser(t, admin), stranger: await createUser(t, admin) };
}
