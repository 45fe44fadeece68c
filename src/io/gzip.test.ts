import { deflateSync, gzipSync } from 'node:zlib';

import { describe, expect, it } from 'vitest';

import { expectError } from '../../test/expect-error.js';
import { bufferSource } from './byte-source.js';
import { decompressToSource, sniffCompression, type CompressionKind } from './gzip.js';
import { createInflateBudget } from './inflate.js';
import { DEFAULT_LIMITS } from './limits.js';

const enc = new TextEncoder();
const limits = { ...DEFAULT_LIMITS };

describe('sniffCompression', () => {
  it('recognises each format by its magic bytes', () => {
    const cases: [number[], CompressionKind | undefined][] = [
      [[...gzipSync('x')], 'gzip'],
      [[...deflateSync('x')], 'zlib'],
      [[...deflateSync('x', { level: 3 })], 'zlib'],
      [[...deflateSync('x', { level: 9 })], 'zlib'],
      [[...deflateSync('x', { level: 1 })], 'zlib'],
      [[0x42, 0x5a, 0x68, 0x39, 0x31], 'bzip2'],
      [[0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], 'xz'],
      [[0x04, 0x22, 0x4d, 0x18], 'lz4'],
      [[0x28, 0xb5, 0x2f, 0xfd], 'zstd'],
      [[0x80, 0x04, 0x95], undefined],
      [[0x78, 0x00], undefined],
      [[0x42, 0x5a, 0x68, 0x30], undefined],
      [[0x1f], undefined],
    ];
    for (const [head, kind] of cases) expect(sniffCompression(Uint8Array.from(head))).toBe(kind);
  });
});

describe('decompressToSource', () => {
  const payload = enc.encode('\x80\x04\x95 a pickle would be here'.repeat(10));

  it('gunzips into a source named after the wrapper', async () => {
    const src = bufferSource(gzipSync(payload), 'model.pkl.gz');
    const out = await decompressToSource(src, 'gzip', { limits, budget: createInflateBudget(limits) });
    expect(out.uri).toBe('model.pkl.gz');
    expect(out.member).toBe('(gzip)');
    expect(await out.read(0, out.size)).toEqual(payload);
  });

  it('inflates zlib streams (joblib) and extends a member chain', async () => {
    const src = bufferSource(deflateSync(payload, { level: 3 }), 'bundle.zip', 'model.joblib');
    const out = await decompressToSource(src, 'zlib', { limits, budget: createInflateBudget(limits) });
    expect(out.member).toBe('model.joblib!(zlib)');
    expect(out.size).toBe(payload.length);
  });

  it('reads concatenated gzip members', async () => {
    const src = bufferSource(Uint8Array.from([...gzipSync('first '), ...gzipSync('second')]), 'x.gz');
    const out = await decompressToSource(src, 'gzip', { limits, budget: createInflateBudget(limits) });
    expect(new TextDecoder().decode(await out.read(0, out.size))).toBe('first second');
  });

  it('stops a gzip bomb by its ratio', async () => {
    const bomb = gzipSync(new Uint8Array(20 * 1024 * 1024));
    await expectError(
      decompressToSource(bufferSource(bomb, 'bomb.gz'), 'gzip', { limits, budget: createInflateBudget(limits) }),
      'LIMIT_EXCEEDED',
      /^bomb\.gz: decompression bomb: .*maxCompressionRatio=200/,
    );
  });

  it('enforces maxMemberBytes and the shared budget', async () => {
    const data = gzipSync(payload);
    await expectError(
      decompressToSource(bufferSource(data, 'a.gz'), 'gzip', { limits: { ...limits, maxMemberBytes: 100 }, budget: createInflateBudget(limits) }),
      'LIMIT_EXCEEDED',
      /maxMemberBytes=100/,
    );
    await expectError(
      decompressToSource(bufferSource(data, 'a.gz'), 'gzip', { limits, budget: { remaining: 0 } }),
      'LIMIT_EXCEEDED',
      /maxTotalInflatedBytes/,
    );
  });

  it('rejects corrupt and truncated streams', async () => {
    const gz = gzipSync(payload);
    await expectError(
      decompressToSource(bufferSource(gz.subarray(0, gz.length - 20), 'cut.gz'), 'gzip', { limits, budget: createInflateBudget(limits) }),
      'PARSE_ERROR',
      /^cut\.gz: corrupt gzip stream at offset 0/,
    );
    await expectError(
      decompressToSource(bufferSource(Uint8Array.from([0x78, 0x9c, 1, 2, 3, 4]), 'bad.z'), 'zlib', { limits, budget: createInflateBudget(limits) }),
      'PARSE_ERROR',
      /^bad\.z: corrupt zlib stream/,
    );
  });

  it('reports formats without a built-in decoder as unsupported', async () => {
    for (const kind of ['bzip2', 'xz', 'lz4', 'zstd'] as const) {
      await expectError(
        decompressToSource(bufferSource(new Uint8Array(4), 'm.pkl.x'), kind, { limits, budget: createInflateBudget(limits) }),
        'UNSUPPORTED',
        new RegExp(`^m\\.pkl\\.x: ${kind} compression`),
      );
    }
  });
});
