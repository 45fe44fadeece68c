import { describe, expect, it } from 'vitest';
import { isBulwarkError } from '../../errors.js';
import { bufferSource, type ByteSource } from '../../io/byte-source.js';
import { createProtoReader, decodePackedVarints, decodeVarint, readFields, readString, scanHead, toInt64, type ProtoField, type ProtoReaderOptions } from './wire.js';

const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);

async function all(src: ByteSource, opts: ProtoReaderOptions = {}): Promise<ProtoField[]> {
  const r = createProtoReader(src, opts);
  const out: ProtoField[] = [];
  for await (const f of readFields(r, 0, src.size, 0)) out.push(f);
  return out;
}

async function failure(src: ByteSource, opts: ProtoReaderOptions = {}): Promise<unknown> {
  try {
    await all(src, opts);
  } catch (err) {
    return err;
  }
  return undefined;
}

describe('decodeVarint', () => {
  it('decodes 1-, 2- and 10-byte varints and rejects overlong or truncated ones', () => {
    expect(decodeVarint(bytes(0x96, 0x01), 0, 2)).toEqual({ ok: true, value: 150n, next: 2 });
    const max = bytes(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01);
    expect(decodeVarint(max, 0, 10)).toEqual({ ok: true, value: 2n ** 64n - 1n, next: 10 });
    expect(toInt64(2n ** 64n - 1n)).toBe(-1n);
    expect(decodeVarint(bytes(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02), 0, 10)).toEqual({ ok: false, reason: 'overlong' });
    expect(decodeVarint(bytes(0x80, 0x80), 0, 2)).toEqual({ ok: false, reason: 'truncated' });
  });

  it('decodes packed varints', () => {
    expect(decodePackedVarints(bytes(0x03, 0x8e, 0x02, 0x9e, 0xa7, 0x05), 10)).toEqual({ values: [3n, 270n, 86942n], truncated: false });
    expect(decodePackedVarints(bytes(1, 2, 3), 2)).toEqual({ values: [1n, 2n], truncated: true });
  });
});

describe('readFields', () => {
  it('yields every wire type with absolute offsets, skipping payloads', async () => {
    // field 1 varint 150; field 2 "hi"; field 3 fixed32; field 4 fixed64; group 5 { field 1 varint 1 }
    const b = bytes(0x08, 0x96, 0x01, 0x12, 0x02, 0x68, 0x69, 0x1d, 1, 0, 0, 0, 0x21, 2, 0, 0, 0, 0, 0, 0, 0, 0x2b, 0x08, 0x01, 0x2c);
    const fields = await all(bufferSource(b, 'm.pb'));
    expect(fields).toEqual([
      { kind: 'varint', field: 1, offset: 0, value: 150n },
      { kind: 'bytes', field: 2, offset: 3, start: 5, length: 2 },
      { kind: 'fixed32', field: 3, offset: 7, value: 1 },
      { kind: 'fixed64', field: 4, offset: 12, value: 2n },
      { kind: 'group', field: 5, offset: 21, start: 22, end: 25 },
    ]);
    const r = createProtoReader(bufferSource(b, 'm.pb'));
    expect(await readString(r, { start: 5, length: 2 }, 100)).toBe('hi');
  });

  it('never reads a skipped payload', async () => {
    const size = 3 * 1024 * 1024 * 1024;
    const reads: [number, number][] = [];
    const header = bytes(0x4a, 0x80, 0x80, 0x80, 0x80, 0x0c); // field 9, length 3 GiB
    const src: ByteSource = {
      uri: 'huge.onnx',
      size: header.length + size,
      read(offset, length) {
        reads.push([offset, length]);
        return Promise.resolve(offset === 0 ? header.subarray(0, length) : new Uint8Array(0));
      },
    };
    const fields = await all(src);
    expect(fields).toEqual([{ kind: 'bytes', field: 9, offset: 0, start: 6, length: size }]);
    expect(reads.every(([, n]) => n <= 64 * 1024)).toBe(true);
  });

  it('names the file, the offset and what was expected on broken input', async () => {
    const cases: [Uint8Array, RegExp][] = [
      [bytes(0x12, 0x05, 0x61), /m\.pb: malformed protobuf at offset 0: field 2 declares 5 bytes at 2, past the end/],
      [bytes(0x08, 0x01, 0x00), /offset 2: expected a field tag and value, found field number 0/],
      [bytes(0x0e), /invalid wire type 6/],
      [bytes(0x0c), /end-group tag for field 1 without a matching start-group/],
      [bytes(0x0b, 0x08), /truncated varint value|group 1 has no end-group/],
      [bytes(0x0d, 0x01), /fixed32 field 1 needs 4 bytes/],
    ];
    for (const [b, re] of cases) {
      const err = await failure(bufferSource(b, 'm.pb'));
      expect(isBulwarkError(err, 'PARSE_ERROR'), String(err)).toBe(true);
      expect((err as Error).message).toMatch(re);
    }
  });

  it('enforces the field, depth and time budgets and the signal', async () => {
    const many = new Uint8Array(20_000).fill(0).map((_, i) => (i % 2 === 0 ? 0x08 : 0x01));
    const e1 = await failure(bufferSource(many, 'many.pb'), { maxFields: 100 });
    expect(isBulwarkError(e1, 'LIMIT_EXCEEDED')).toBe(true);
    let t = 0;
    const e2 = await failure(bufferSource(many, 'slow.pb'), { deadline: 1, now: () => (t += 1) });
    expect((e2 as Error).message).toMatch(/slow\.pb: protobuf walk stopped at offset \d+: time limit/);
    const ac = new AbortController();
    ac.abort();
    expect(isBulwarkError(await failure(bufferSource(many, 'a.pb'), { signal: ac.signal }), 'ABORTED')).toBe(true);
    // Nested groups 200 deep.
    const deep = new Uint8Array([...new Array<number>(200).fill(0x0b), ...new Array<number>(200).fill(0x0c)]);
    expect(isBulwarkError(await failure(bufferSource(deep, 'deep.pb')), 'LIMIT_EXCEEDED')).toBe(true);
  });
});

describe('scanHead', () => {
  it('tolerates a field cut by the end of the head, and rejects invalid wire data', () => {
    expect(scanHead(bytes(0x08, 0x07, 0x12, 0x10, 0x61), 10)?.map((f) => f.field)).toEqual([1, 2]);
    expect(scanHead(bytes(0x08, 0x07, 0x12, 0x10, 0x61), 10, 5)).toBeUndefined();
    expect(scanHead(bytes(0x07), 10)).toBeUndefined();
  });
});
