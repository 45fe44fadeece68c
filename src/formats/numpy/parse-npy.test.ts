import { describe, expect, it } from 'vitest';

import { expectError } from '../../../test/expect-error.js';
import { bufferSource } from '../../io/byte-source.js';
import { parseNpyHeader, sniffNpy } from './index.js';

const enc = new TextEncoder();

/** Builds a .npy file the way numpy.lib.format writes one: header padded with spaces to 64 bytes, then '\n'. */
function npy(header: string, opts: { major?: number; minor?: number; data?: Uint8Array; declaredLength?: number } = {}): Uint8Array {
  const major = opts.major ?? 1;
  const prefixLen = major === 1 ? 10 : 12;
  const body = major === 3 ? enc.encode(header) : Uint8Array.from(header, (c) => c.charCodeAt(0));
  const total = Math.ceil((prefixLen + body.length + 1) / 64) * 64;
  const headerLen = total - prefixLen;
  const out = new Uint8Array(total + (opts.data?.length ?? 0));
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, opts.minor ?? 0]);
  const dv = new DataView(out.buffer);
  const declared = opts.declaredLength ?? headerLen;
  if (major === 1) dv.setUint16(8, declared, true);
  else dv.setUint32(8, declared, true);
  out.set(body, prefixLen);
  out.fill(0x20, prefixLen + body.length, total - 1);
  out[total - 1] = 0x0a;
  if (opts.data !== undefined) out.set(opts.data, total);
  return out;
}

async function header(bytes: Uint8Array) {
  return parseNpyHeader(bufferSource(bytes, 'arr.npy'));
}

describe('sniffNpy', () => {
  it('matches the magic only', () => {
    expect(sniffNpy(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (), }"))).toBe(true);
    expect(sniffNpy(enc.encode('\x93NUMP'))).toBe(false);
    expect(sniffNpy(Uint8Array.from([0x80, 0x04]))).toBe(false);
  });
});

describe('parseNpyHeader', () => {
  it('reads a plain float array header (version 1.0)', async () => {
    const h = await header(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }"));
    expect(h).toEqual({
      major: 1,
      minor: 0,
      headerLength: 118,
      dataOffset: 128,
      descr: '<f4',
      fortranOrder: false,
      shape: [3, 4],
      hasObject: false,
    });
  });

  it('flags object arrays and points at the pickle after the header', async () => {
    const pickle = Uint8Array.from([0x80, 0x03, 0x4e, 0x2e]);
    const bytes = npy("{'descr': '|O', 'fortran_order': False, 'shape': (3,), }", { data: pickle });
    const h = await header(bytes);
    expect(h.hasObject).toBe(true);
    expect(h.descr).toBe('|O');
    expect(bytes.subarray(h.dataOffset)).toEqual(pickle);
  });

  it('finds object fields in structured and nested descriptions (version 2.0 and 3.0)', async () => {
    const structured = "[('a', '<i4'), ('b', '|O'), ('c', '<f8', (2, 3))]";
    const h2 = await header(npy(`{'descr': ${structured}, 'fortran_order': True, 'shape': (2,), }`, { major: 2 }));
    expect(h2).toMatchObject({ major: 2, descr: structured, fortranOrder: true, hasObject: true, dataOffset: 128 });
    const nested = "[('ä', '<i4'), ('b', [('x', '|O')])]";
    const h3 = await header(npy(`{'descr': ${nested}, 'fortran_order': False, 'shape': (2,), }`, { major: 3 }));
    expect(h3).toMatchObject({ major: 3, descr: nested, hasObject: true });
    const plain = await header(npy("{'descr': [('O', '<i4'), ('b', '<f8', (2,))], 'fortran_order': False, 'shape': (2,), }"));
    expect(plain.hasObject).toBe(false);
  });

  it('recognises every spelling NumPy turns into an object dtype', async () => {
    const objectSpellings = ['O', '|O', 'O8', 'object', 'object_', '(2,)O', '(2, 3)O', '3O', 'i4, O', 'i4,(2,)O', ['|', 'O']];
    for (const s of objectSpellings) {
      const literal = Array.isArray(s) ? s.map((p) => `'${p}'`).join(' ') : `'${s}'`;
      const h = await header(npy(`{'descr': ${literal}, 'fortran_order': False, 'shape': (1,), }`));
      expect(h.hasObject, literal).toBe(true);
    }
    for (const s of ['<f8', '<U5', '|S3', '<M8[ns]', '|b1', 'V8']) {
      const h = await header(npy(`{'descr': '${s}', 'fortran_order': False, 'shape': (1,), }`));
      expect(h.hasObject, s).toBe(false);
    }
    const sub = await header(npy("{'descr': ('|O', (2,)), 'fortran_order': False, 'shape': (1,), }"));
    expect(sub).toMatchObject({ hasObject: true, descr: "('|O', (2,))" });
  });

  it('accepts key order, Python 2 longs and hex as literal_eval does', async () => {
    const h = await header(npy("{'shape': (3L, 0x4), 'fortran_order': False, 'descr': u'<i8'}"));
    expect(h).toMatchObject({ shape: [3, 4], descr: '<i8' });
  });

  it('rejects files that are not .npy, naming the file and offset', async () => {
    await expectError(header(enc.encode('PK\x03\x04 not numpy')), 'PARSE_ERROR', /^arr\.npy: NumPy header at offset 0: expected the magic/);
  });

  it('rejects unknown versions as unsupported', async () => {
    await expectError(header(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (), }", { major: 4 })), 'UNSUPPORTED', /version 4\.0/);
    await expectError(header(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (), }", { minor: 1 })), 'UNSUPPORTED', /version 1\.1/);
  });

  it('rejects truncated and oversized headers', async () => {
    const full = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (), }");
    await expectError(header(full.subarray(0, 40)), 'PARSE_ERROR', /offset 40: expected 118 header bytes/);
    await expectError(header(full.subarray(0, 8)), 'PARSE_ERROR', /expected a format version/);
    await expectError(
      header(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (), }", { major: 2, declaredLength: 0x7fffffff })),
      'LIMIT_EXCEEDED',
      /is 2147483647 bytes/,
    );
  });

  it('rejects headers that are not the dict NumPy requires', async () => {
    const cases: [string, RegExp][] = [
      ["{'descr': eval('x'), 'fortran_order': False, 'shape': ()}", /offset 20: expected a string, integer/],
      ["['descr', '<f4']", /expected a dict literal, found a list/],
      ["{'descr': '<f4', 'shape': ()}", /exactly the keys .* found 'descr', 'shape'/],
      ["{'descr': '<f4', 'fortran_order': False, 'shape': (), 'extra': 1}", /found 'descr', 'extra', 'fortran_order', 'shape'/],
      ["{'descr': '<f4', 'fortran_order': 0, 'shape': ()}", /'fortran_order' to be True or False, found 0/],
      ["{'descr': '<f4', 'fortran_order': False, 'shape': [3]}", /'shape' to be a tuple, found \[3\]/],
      ["{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}", /non-negative integers, found \(-1,\)/],
      ["{'descr': 3, 'fortran_order': False, 'shape': ()}", /'descr' to be a type string/],
      ["{1: 2}", /string keys/],
    ];
    for (const [text, pattern] of cases) {
      await expectError(header(npy(text)), 'PARSE_ERROR', pattern);
    }
  });

  it('reports the byte offset of a syntax error in a UTF-8 (version 3) header', async () => {
    await expectError(header(npy("{'descr': [('ää', '<i4') 'x'], 'fortran_order': False, 'shape': ()}", { major: 3 })), 'PARSE_ERROR', /offset 39:/);
  });

  it('names the archive member in errors', async () => {
    await expectError(parseNpyHeader(bufferSource(enc.encode('nope'), 'w.npz', 'arr_0.npy')), 'PARSE_ERROR', /^w\.npz!arr_0\.npy: /);
  });
});
