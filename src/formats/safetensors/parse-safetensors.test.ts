import { describe, expect, it } from 'vitest';
import { isBulwarkError } from '../../errors.js';
import { bufferSource } from '../../io/byte-source.js';
import { parseSafetensors, sniffSafetensors } from './parse-safetensors.js';
import { parseStrictJson } from './strict-json.js';

/** N + header + buffer, no padding. */
function file(json: string, buffer: Uint8Array = new Uint8Array(0), declared?: bigint): Uint8Array {
  const h = Buffer.from(json, 'utf8');
  const n = Buffer.alloc(8);
  n.writeBigUInt64LE(declared ?? BigInt(h.length));
  return Buffer.concat([n, h, buffer]);
}

const parse = (bytes: Uint8Array) => parseSafetensors(bufferSource(bytes, 't.safetensors'));
const kinds = async (bytes: Uint8Array) => (await parse(bytes)).violations.map((v) => v.kind);

describe('parseSafetensors', () => {
  it('reads tensors and metadata of a valid file with no violations', async () => {
    const f = await parse(file('{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},"b":{"dtype":"I8","shape":[],"data_offsets":[24,25]}}   ', new Uint8Array(25)));
    expect(f.violations).toEqual([]);
    expect(f.metadata).toEqual({ format: 'pt' });
    expect(f.tensors.map((t) => [t.name, t.dtype, t.shape, t.offsets, t.expectedBytes])).toEqual([
      ['a', 'F32', [2, 3], [0, 24], 24],
      ['b', 'I8', [], [24, 25], 1],
    ]);
    expect(f.dataLength).toBe(25);
    expect(f.headerParsed).toBe(true);
  });

  it('accepts a null __metadata__ and tensors listed out of offset order', async () => {
    expect(await kinds(file('{"__metadata__":null,"b":{"dtype":"U8","shape":[2],"data_offsets":[2,4]},"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}', new Uint8Array(4)))).toEqual([]);
  });

  it('handles packed sub-byte dtypes (F4: two elements per byte; F6 needs whole bytes)', async () => {
    expect(await kinds(file('{"a":{"dtype":"F4","shape":[4],"data_offsets":[0,2]}}', new Uint8Array(2)))).toEqual([]);
    expect(await kinds(file('{"a":{"dtype":"F4","shape":[3],"data_offsets":[0,2]}}', new Uint8Array(2)))).toEqual(['size-mismatch']);
    expect(await kinds(file('{"a":{"dtype":"F6_E2M3","shape":[4],"data_offsets":[0,3]}}', new Uint8Array(3)))).toEqual([]);
  });

  it('reports a header length past the end or above the bound, without reading it', async () => {
    expect(await kinds(file('{}', new Uint8Array(0), 1000n))).toEqual(['header-length']);
    expect(await kinds(file('{}', new Uint8Array(0), (1n << 64n) - 1n))).toEqual(['header-length']);
    const big = await parseSafetensors(bufferSource(file('{}', new Uint8Array(100)), 't'), { limits: { maxHeaderBytes: 1 } });
    expect(big.violations[0]?.message).toContain('exceeds 1 bytes');
  });

  it('reports non-UTF-8, non-JSON, non-object and BOM-prefixed headers', async () => {
    const bad = Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    const n = Buffer.alloc(8);
    n.writeBigUInt64LE(BigInt(bad.length));
    expect(await kinds(Buffer.concat([n, bad]))).toEqual(['header-encoding']);
    expect(await kinds(file('{"a":1,}'))).toEqual(['header-syntax']);
    expect(await kinds(file('{"a":NaN}'))).toEqual(['header-syntax']);
    expect(await kinds(file('\ufeff{}'))).toEqual(['header-syntax']);
    expect(await kinds(file('[1,2]'))).toEqual(['header-syntax']);
    expect(await kinds(file('{}{}'))).toEqual(['header-syntax']);
  });

  it('reports duplicate keys with their pointer (JSON.parse would silently keep the last)', async () => {
    const f = await parse(file('{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"w":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}', new Uint8Array(2)));
    expect(f.violations.map((v) => [v.kind, v.pointer])).toEqual([['duplicate-key', '/w']]);
    const g = await parse(file('{"w":{"dtype":"U8","dtype":"F32","shape":[1],"data_offsets":[0,1]}}', new Uint8Array(1)));
    expect(g.violations.map((v) => [v.kind, v.pointer])).toContainEqual(['duplicate-key', '/w/dtype']);
  });

  it('reports bad entries, dtypes, shapes and offsets', async () => {
    expect(await kinds(file('{"w":5}'))).toEqual(['tensor-entry']);
    expect(await kinds(file('{"w":{"dtype":"F32","shape":[1]}}'))).toEqual(['tensor-entry']);
    expect(await kinds(file('{"w":{"dtype":"F128","shape":[1],"data_offsets":[0,4]}}', new Uint8Array(4)))).toEqual(['dtype']);
    expect(await kinds(file('{"w":{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]}}', new Uint8Array(4)))).toEqual(['shape']);
    expect(await kinds(file('{"w":{"dtype":"F32","shape":"1","data_offsets":[0,4]}}', new Uint8Array(4)))).toEqual(['shape']);
    expect(await kinds(file('{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}', new Uint8Array(4)))).toEqual(['offsets-form']);
    expect(await kinds(file('{"w":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}', new Uint8Array(4)))).toEqual(['offsets-form']);
    expect(await kinds(file('{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,18446744073709551616]}}', new Uint8Array(4)))).toEqual(['offsets-form']);
  });

  it('reports out-of-bounds, overlapping, wrongly sized tensors and holes', async () => {
    expect(await kinds(file('{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}', new Uint8Array(8)))).toEqual(['out-of-bounds']);
    expect(await kinds(file('{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},"b":{"dtype":"U8","shape":[4],"data_offsets":[2,6]}}', new Uint8Array(6)))).toEqual(['overlap']);
    expect(await kinds(file('{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,8]}}', new Uint8Array(8)))).toEqual(['size-mismatch']);
    expect(await kinds(file('{"a":{"dtype":"U8","shape":[2],"data_offsets":[2,4]}}', new Uint8Array(6)))).toEqual(['hole', 'hole']);
    // A huge shape cannot overflow: sizes are computed exactly.
    expect(await kinds(file('{"w":{"dtype":"F64","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,8]}}', new Uint8Array(8)))).toEqual(['size-mismatch']);
  });

  it('reports __metadata__ values that are not strings', async () => {
    const f = await parse(file('{"__metadata__":{"a":"x","b":1,"c":{"d":"e"}}}'));
    expect(f.violations.map((v) => [v.kind, v.pointer])).toEqual([['metadata', '/__metadata__/b'], ['metadata', '/__metadata__/c']]);
    expect(f.metadata).toEqual({ a: 'x' });
    expect(await kinds(file('{"__metadata__":["a"]}'))).toEqual(['metadata']);
  });

  it('bounds tensors and violations', async () => {
    const many = `{${Array.from({ length: 50 }, (_, i) => `"t${i}":{"dtype":"F32","shape":[1],"data_offsets":[0,99]}`).join(',')}}`;
    const f = await parseSafetensors(bufferSource(file(many), 't'), { limits: { maxTensors: 10, maxViolations: 5 } });
    expect(f.violations).toHaveLength(5);
    expect(f.violations[4]?.message).toContain('more violations not listed');
    expect(f.tensors).toHaveLength(10);
  });

  it('throws a typed PARSE_ERROR naming the file for fewer than 8 bytes', async () => {
    const err: unknown = await parseSafetensors(bufferSource(new Uint8Array(3), 'm.safetensors', 'x.zip!inner')).catch((e: unknown) => e);
    expect(isBulwarkError(err, 'PARSE_ERROR')).toBe(true);
    expect(String(err)).toContain('m.safetensors!x.zip!inner');
  });

  it('honours an aborted signal', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(parseSafetensors(bufferSource(file('{}'), 't'), { signal: ac.signal })).rejects.toThrow();
  });
});

describe('sniffSafetensors', () => {
  it('accepts a header start and rejects look-alikes', () => {
    const ok = file('{"a":{}}');
    expect(sniffSafetensors(ok, ok.length)).toBe(true);
    expect(sniffSafetensors(file('{ }'), 11)).toBe(true);
    expect(sniffSafetensors(file('{x}'), 11)).toBe(false);
    expect(sniffSafetensors(file('{"a":1}', undefined, 100n), 15)).toBe(false);
    expect(sniffSafetensors(new Uint8Array(4), 4)).toBe(false);
  });
});

describe('parseStrictJson', () => {
  it('keeps integer text and rejects what serde_json rejects', () => {
    const r = parseStrictJson('{"n":18446744073709551615,"s":"a\\u00e9\\n"}', { maxDepth: 4, maxValues: 100 });
    expect(r.value).toMatchObject({ t: 'object', entries: [{ key: 'n', value: { t: 'number', raw: '18446744073709551615' } }, { key: 's', value: { t: 'string', value: 'a\u00e9\n' } }] });
    for (const bad of ['{"a":01}', '{"a":.5}', "{'a':1}", '{"a":"\t"}', '{"a":"\\x41"}', '{"a":tru}', '', '{"a"}']) {
      expect(() => parseStrictJson(bad, { maxDepth: 4, maxValues: 100 })).toThrow(/at character/);
    }
  });

  it('stops at the depth and value bounds', () => {
    expect(() => parseStrictJson('[[[[[1]]]]]', { maxDepth: 3, maxValues: 100 })).toThrow(/deeper than 3/);
    expect(() => parseStrictJson('[1,2,3,4,5]', { maxDepth: 3, maxValues: 3 })).toThrow(/more than 3/);
    expect(() => parseStrictJson('['.repeat(100000), { maxDepth: 16, maxValues: 1e6 })).toThrow(/deeper than 16/);
  });
});
