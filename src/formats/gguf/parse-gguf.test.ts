import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isBulwarkError } from '../../errors.js';
import { bufferSource } from '../../io/byte-source.js';
import type { GgufFacts } from './facts.js';
import { parseGguf, sniffGguf } from './parse-gguf.js';

const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};
const u64 = (n: number | bigint): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
};
const str = (s: string, v = 3): Buffer => {
  const b = Buffer.from(s, 'utf8');
  return Buffer.concat([v === 1 ? u32(b.length) : u64(b.length), b]);
};
const kvStr = (k: string, v: string): Buffer => Buffer.concat([str(k), u32(8), str(v)]);
const kvU32 = (k: string, v: number): Buffer => Buffer.concat([str(k), u32(4), u32(v)]);
const tensor = (name: string, dims: number[], type: number, offset: number): Buffer =>
  Buffer.concat([str(name), u32(dims.length), ...dims.map((d) => u64(d)), u32(type), u64(offset)]);

/** A v3 file: header, kvs, tensor infos, padding to `align`, then `data` bytes. */
function file(kvs: Buffer[], tensors: Buffer[] = [], data = 0, align = 32): Buffer {
  const head = Buffer.concat([Buffer.from('GGUF'), u32(3), u64(tensors.length), u64(kvs.length), ...kvs, ...tensors]);
  return Buffer.concat([head, Buffer.alloc((align - (head.length % align)) % align), Buffer.alloc(data)]);
}
const parse = (b: Uint8Array): Promise<GgufFacts> => parseGguf(bufferSource(b, 'm.gguf'));
const kinds = async (b: Uint8Array): Promise<string[]> => (await parse(b)).problems.map((p) => p.kind);

describe('parseGguf', () => {
  it('reads metadata, arrays, tensor infos and chat templates of a valid file', async () => {
    const arr = Buffer.concat([str('tokenizer.ggml.tokens'), u32(9), u32(8), u64(2), str('a'), str('b')]);
    const f = await parse(
      file(
        [kvStr('general.architecture', 'llama'), kvU32('llama.block_count', 2), arr, kvStr('tokenizer.chat_template', '{{ m }}'), Buffer.concat([str('x.flag'), u32(7), Buffer.from([1])]), Buffer.concat([str('x.big'), u32(10), u64(2n ** 60n)])],
        [tensor('a', [32, 2], 8, 0), tensor('b', [4], 0, 96)],
        112,
      ),
    );
    expect(f.problems).toEqual([]);
    expect(f.complete).toBe(true);
    expect(f.metadata.map((m) => [m.key, m.type, m.value, m.arrayLength])).toEqual([
      ['general.architecture', 'string', 'llama', undefined],
      ['llama.block_count', 'uint32', 2, undefined],
      ['tokenizer.ggml.tokens', 'array', undefined, 2],
      ['tokenizer.chat_template', 'string', '{{ m }}', undefined],
      ['x.flag', 'bool', true, undefined],
      ['x.big', 'uint64', '1152921504606846976', undefined],
    ]);
    expect(f.tensors.map((t) => [t.name, t.typeName, t.dims, t.offset, t.nbytes])).toEqual([
      ['a', 'Q8_0', [32, 2], 0, 68],
      ['b', 'F32', [4], 96, 16],
    ]);
    expect(f.chatTemplates.map((t) => [t.key, t.analysis.parsed, t.analysis.hazards.length])).toEqual([['tokenizer.chat_template', true, 0]]);
  });

  it('reads version 1 (u32 counts and lengths)', async () => {
    const b = Buffer.concat([Buffer.from('GGUF'), u32(1), u32(0), u32(1), str('general.name', 1), u32(8), str('old', 1)]);
    const f = await parse(b);
    expect([f.version, f.metadata[0]?.value, f.problems]).toEqual([1, 'old', []]);
  });

  it('refuses big-endian and unknown versions as UNSUPPORTED, and non-GGUF as PARSE_ERROR', async () => {
    const be = Buffer.concat([Buffer.from('GGUF'), Buffer.from([0, 0, 0, 3]), Buffer.alloc(16)]);
    const e1: unknown = await parse(be).catch((e: unknown) => e);
    expect(isBulwarkError(e1, 'UNSUPPORTED') && e1.message.includes('big-endian')).toBe(true);
    expect(sniffGguf(be)).toBe(true);
    const e2: unknown = await parse(Buffer.concat([Buffer.from('GGUF'), u32(9), Buffer.alloc(16)])).catch((e: unknown) => e);
    expect(isBulwarkError(e2, 'UNSUPPORTED')).toBe(true);
    const e3: unknown = await parse(Buffer.from('GGML....')).catch((e: unknown) => e);
    expect(isBulwarkError(e3, 'PARSE_ERROR') && e3.message.includes('m.gguf')).toBe(true);
    expect(sniffGguf(Buffer.from('GGUF\xff\xff\xff\xff', 'latin1'))).toBe(false);
  });

  it('stops at counts and lengths beyond the file or the bounds, before allocating', async () => {
    const huge = Buffer.concat([Buffer.from('GGUF'), u32(3), u64(0), u64(2n ** 62n)]);
    expect(await kinds(huge)).toEqual(['exceeds-file']);
    const str1 = Buffer.concat([Buffer.from('GGUF'), u32(3), u64(0), u64(1), str('k'), u32(8), u64(2n ** 50n), Buffer.from('x')]);
    expect(await kinds(str1)).toEqual(['exceeds-file']);
    const arr = Buffer.concat([Buffer.from('GGUF'), u32(3), u64(0), u64(1), str('k'), u32(9), u32(0), u64(1000)]);
    expect(await kinds(arr)).toEqual(['exceeds-file']);
    const bound = await parseGguf(bufferSource(file([kvStr('a', 'b'), kvStr('c', 'd')]), 'm'), { limits: { maxKv: 1 } });
    expect(bound.problems.map((p) => p.kind)).toEqual(['exceeds-bound']);
    const nested = Buffer.concat([Buffer.from('GGUF'), u32(3), u64(0), u64(1), str('k'), u32(9), u32(9), u64(1), u32(9), u64(1), u32(9), u64(1), u32(0), u64(0)]);
    expect(await kinds(nested)).toEqual(['array-nesting']);
    expect(await kinds(Buffer.concat([Buffer.from('GGUF'), u32(3), u64(0), u64(1), str('k'), u32(13), u32(0)]))).toEqual(['bad-value-type']);
    expect(await kinds(Buffer.concat([Buffer.from('GGUF'), u32(3), u64(0), u64(1), str('k'), u32(10), Buffer.alloc(2)]))).toEqual(['truncated']);
  });

  it('checks alignment, keys, bools and tensor infos', async () => {
    expect(await kinds(file([kvU32('general.alignment', 0)]))).toEqual(['bad-alignment']);
    expect(await kinds(file([kvStr('general.alignment', '32')]))).toEqual(['bad-alignment']);
    expect(await kinds(file([kvStr('a', 'x'), kvStr('a', 'y')]))).toEqual(['duplicate-key']);
    expect(await kinds(file([Buffer.concat([str('b'), u32(7), Buffer.from([7])])]))).toEqual(['bad-bool']);
    expect(await kinds(file([], [tensor('t', [1, 1, 1, 1, 1], 0, 0)], 32))).toEqual(['too-many-dims']);
    expect(await kinds(file([], [tensor('t', [2 ** 63 + 2048], 0, 0)], 32))).toContain('bad-dim');
    expect(await kinds(file([], [tensor('t', [2 ** 32, 2 ** 32], 0, 0)], 32))).toContain('bad-dim');
    expect(await kinds(file([], [tensor('t', [10], 8, 0)], 64))).toEqual(['block-misaligned']);
    expect(await kinds(file([], [tensor('t', [4], 99, 0)], 64))).toEqual(['unknown-tensor-type']);
    expect(await kinds(file([], [tensor('t', [4], 0, 8)], 64))).toEqual(['offset-misaligned']);
    expect(await kinds(file([], [tensor('t', [4], 0, 0), tensor('t', [4], 0, 32)], 64))).toEqual(['duplicate-tensor']);
    expect(await kinds(file([], [tensor('t', [64], 0, 0)], 16))).toEqual(['data-out-of-bounds']);
    expect(await kinds(file([], [tensor('a', [16], 0, 0), tensor('b', [16], 0, 32)], 96))).toEqual(['tensor-overlap']);
    expect(await kinds(file([], [tensor('a', [4], 0, 0), tensor('b', [4], 0, 128)], 160))).toEqual(['data-gap']);
  });

  it('keeps long strings only up to the bound and marks them', async () => {
    const f = await parseGguf(bufferSource(file([kvStr('general.description', 'x'.repeat(100)), kvStr('tokenizer.chat_template.big', `{{ a.__class__ }}${'y'.repeat(100)}`)]), 'm'), {
      limits: { maxKeptString: 10, maxTemplateBytes: 20 },
    });
    expect(f.metadata.map((m) => [m.value, m.truncated])).toEqual([
      ['xxxxxxxxxx', true],
      ['{{ a.__cla', true],
    ]);
    expect(f.chatTemplates[0]).toMatchObject({ truncated: true, byteLength: 117 });
    expect(f.chatTemplates[0]?.analysis.hazards.map((h) => h.name)).toEqual(['__class__']);
  });

  it('honours an aborted signal', async () => {
    const ac = new AbortController();
    ac.abort();
    const many = file(Array.from({ length: 600 }, (_, i) => kvU32(`k${i}`, i)));
    await expect(parseGguf(bufferSource(many, 'm'), { signal: ac.signal })).rejects.toThrow();
  });
});

describe('parseGguf fuzz', () => {
  const seeds = ['clean_llama3.gguf', 'clean_gemma_namespace.gguf', 'ssti_named_template.gguf', 'tensor_overlap.gguf'].map((n) =>
    Uint8Array.from(readFileSync(new URL(`../../../test/fixtures/gguf/${n}`, import.meta.url))),
  );
  const limits = { maxKv: 200, maxTensors: 100, maxArrayLength: 5000, maxStringBytes: 1 << 20, maxProblems: 50 };

  async function check(b: Uint8Array): Promise<void> {
    let f: GgufFacts;
    try {
      f = await parseGguf(bufferSource(b, 'fuzz.gguf'), { limits, templateLimits: { maxChars: 20_000 } });
    } catch (err) {
      expect(isBulwarkError(err, 'PARSE_ERROR') || isBulwarkError(err, 'UNSUPPORTED')).toBe(true);
      return;
    }
    expect(f.metadata.length).toBeLessThanOrEqual(limits.maxKv);
    expect(f.tensors.length).toBeLessThanOrEqual(limits.maxTensors);
    expect(f.problems.length).toBeLessThanOrEqual(limits.maxProblems);
    for (const p of f.problems) expect(p.offset).toBeGreaterThanOrEqual(0);
  }

  it('random bytes after the magic give facts or a typed error', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 400 }), fc.integer({ min: 0, max: 4 }), async (tail, v) => {
        await check(Buffer.concat([Buffer.from('GGUF'), u32(v), tail]));
      }),
      { numRuns: 300 },
    );
  });

  it('mutated fixtures give facts or a typed error', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), fc.option(fc.nat()), async (s, muts, cut) => {
        const b = Uint8Array.from(s);
        // Mutations land mostly in the header region, where the structure is.
        for (const [at, v] of muts) b[at % Math.min(b.length, 4096)] = v;
        await check(cut === null ? b : b.subarray(0, cut % (b.length + 1)));
      }),
      { numRuns: 300 },
    );
  });
});
