import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { gunzipBody } from '../../src/http/gzip-body.js';

const LIMIT = 64 * 1024;

/** 1 MiB of zeros per gzip member; members concatenate into one valid gzip stream. */
const MEMBER = gzipSync(Buffer.alloc(1 << 20), { level: 9 });

/** A request body of `members` gzip members in 1 KiB chunks, counting what has been read from it. */
function bombSource(members: number) {
  const body = Buffer.concat(Array.from({ length: members }, () => MEMBER));
  const state = { pulled: 0, size: body.length };
  let offset = 0;
  const source = new Readable({
    read() {
      if (offset >= body.length) return void this.push(null);
      const chunk = body.subarray(offset, offset + 1024);
      offset += chunk.length;
      state.pulled += chunk.length;
      this.push(chunk);
    },
  });
  return { source, state };
}

function requestWith(headers: Record<string, string>) {
  return { headers, routeOptions: { bodyLimit: LIMIT } } as unknown as FastifyRequest;
}

async function open(source: Readable, encoding = 'gzip') {
  const hook = gunzipBody as unknown as (r: FastifyRequest, reply: FastifyReply, p: Readable) => Promise<Readable>;
  return hook(requestWith({ 'content-encoding': encoding }), {} as FastifyReply, source);
}

/** Reads the inflated stream as Fastify's body reader does: every chunk, until it ends or fails. */
function consume(stream: Readable): Promise<{ bytes: number; error?: Error & { statusCode?: number } }> {
  return new Promise((resolve) => {
    let bytes = 0;
    stream.on('data', (chunk: Buffer) => (bytes += chunk.length));
    stream.on('end', () => resolve({ bytes }));
    stream.on('error', (error: Error) => resolve({ bytes, error }));
  });
}

describe('gunzipBody', () => {
  it('inflates a gzip body up to bodyLimit and reports the encoded length Fastify checks against Content-Length', async () => {
    const body = gzipSync(Buffer.alloc(LIMIT, 'x'));
    const inflated = await open(Readable.from([body.subarray(0, 10), body.subarray(10)]));
    expect(await consume(inflated)).toEqual({ bytes: LIMIT });
    expect((inflated as Readable & { receivedEncodedLength: number }).receivedEncodedLength).toBe(body.length);
  });

  it('leaves identity bodies alone and refuses other encodings with 415', async () => {
    const { source } = bombSource(1);
    expect(await open(source, 'identity')).toBe(source);
    await expect(open(source, 'br')).rejects.toMatchObject({ statusCode: 415, code: 'unsupported_media_type' });
  });

  it('fails with 400 on a corrupt gzip stream', async () => {
    const result = await consume(await open(Readable.from([Buffer.from('definitely not gzip')])));
    expect(result.error).toMatchObject({ statusCode: 400, message: 'The gzip body is corrupt.' });
  });

  it('fails with 413 once more than bodyLimit bytes are inflated, and stops reading and inflating the rest of the bomb', async () => {
    const { source, state } = bombSource(300); // ~300 KiB that would inflate to 300 MiB
    const inflated = await open(source);
    const result = await consume(inflated);
    expect(result.error).toMatchObject({ statusCode: 413, code: 'payload_too_large' });
    expect(result.bytes).toBeLessThanOrEqual(LIMIT);
    if (!inflated.closed) await new Promise((resolve) => inflated.once('close', resolve));
    // Let any stream still attached drain what it would: nothing may keep pulling the source.
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(inflated.destroyed).toBe(true);
    expect(state.pulled).toBeLessThan(state.size / 4);
  });
});
