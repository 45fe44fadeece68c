import { describe, expect, it } from 'vitest';
import { decodeLong, escapeDecode, parsePyFloat, parsePyInt, rawUnicodeEscapeDecode } from './decode.js';
import { dtypeItemSize, renderValue, tupleValue, type Value } from './values.js';

describe('dtype item sizes', () => {
  it.each([
    ['f8', 8, false], ['<f4', 4, false], ['i4', 4, false], ['u1', 1, false], ['b1', 1, false], ['c16', 16, false],
    ['O8', 8, true], ['U10', 40, false], ['S10', 10, false], ['M8', 8, false], ['m8', 8, false], ['V12', 12, false],
    ['f2', 2, false], ['?', 1, false], ['d', 8, false],
  ] as const)('%s is %i bytes', (dtype, size, object) => {
    expect(dtypeItemSize(dtype)).toEqual({ itemsize: size, object });
  });

  it('rejects strings that are not dtypes', () => {
    expect(dtypeItemSize('float64; rm -rf')).toBeUndefined();
    expect(dtypeItemSize('z8')).toBeUndefined();
  });
});

describe('argument decoders', () => {
  it('decodes Python 2 string escapes', () => {
    expect(Array.from(escapeDecode(new TextEncoder().encode('a\\n\\x41\\101\\\\\\q')) ?? [])).toEqual([0x61, 0x0a, 0x41, 0x41, 0x5c, 0x5c, 0x71]);
    expect(escapeDecode(new TextEncoder().encode('bad\\x4'))).toBeUndefined();
  });

  it('decodes raw-unicode-escape', () => {
    expect(rawUnicodeEscapeDecode(new TextEncoder().encode('h\\u00e9\\U0001F600'))).toBe('hé😀');
  });

  it('parses text ints and floats like Python', () => {
    expect(parsePyInt(' -42 ', false)).toBe(-42);
    expect(parsePyInt('0x1f', false)).toBe(31);
    expect(parsePyInt('0x1f', true)).toBeUndefined();
    expect(parsePyInt('1_000', true)).toBe(1000);
    expect(parsePyInt('abc', false)).toBeUndefined();
    expect(parsePyFloat('1.5e3')).toBe(1500);
    expect(parsePyFloat('-inf')).toBe(-Infinity);
    expect(parsePyFloat('one')).toBeUndefined();
  });

  it('decodes LONG1 two\'s complement', () => {
    expect(decodeLong(new Uint8Array([0xff]))).toBe(-1);
    expect(decodeLong(new Uint8Array([0x00, 0x01]))).toBe(256);
    expect(decodeLong(new Uint8Array([]))).toBe(0);
  });
});

describe('rendering', () => {
  it('renders Python-like and stays bounded on wide, deep values', () => {
    const s: Value = { k: 'str', v: "it's", cut: false, asBytes: undefined };
    expect(renderValue(tupleValue([s]))).toBe("('it\\'s',)");
    let v: Value = s;
    for (let i = 0; i < 50; i++) v = tupleValue(Array.from({ length: 64 }, () => v));
    const out = renderValue(v);
    expect(out.length).toBeLessThanOrEqual(203);
  });
});
