/**
 * A pickle assembler: opcodes in, raw pickle bytes out. The parser's tests use it to write exact
 * (also deliberately broken) pickles without Python. It only encodes; it never loads. The fixture
 * generator test/fixtures/gen/make-malicious.mjs has its own assembler, so the committed fixtures
 * do not depend on this one.
 */
import { OPCODE_BY_NAME, type PickleOpName } from './opcodes.js';

/** An opcode argument: a number, bigint (LONG1/LONG4), string (text or UTF-8) or raw bytes. */
export type AsmArg = number | bigint | string | Uint8Array;

/** One assembled piece: an opcode with its arguments, or raw bytes inserted as they are. */
export type AsmPart = { op: PickleOpName; args: readonly AsmArg[] } | Uint8Array;

const enc = new TextEncoder();

/** An opcode with its arguments (GLOBAL/INST take module and name; the others one argument). */
export function op(name: PickleOpName, ...args: AsmArg[]): AsmPart {
  return { op: name, args };
}

/** Raw bytes (or Latin-1 text) inserted verbatim: array data, garbage, trailing bytes. */
export function raw(bytes: Uint8Array | string | readonly number[]): AsmPart {
  if (typeof bytes === 'string') return Uint8Array.from(bytes, (c) => c.charCodeAt(0) & 0xff);
  return bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes);
}

function le(n: number | bigint, width: number): number[] {
  let v = BigInt.asUintN(width * 8, BigInt(n));
  const out: number[] = [];
  for (let i = 0; i < width; i++) {
    out.push(Number(v & 0xffn));
    v >>= 8n;
  }
  return out;
}

/** Minimal little-endian two's complement, as pickle's `encode_long`. */
function longBytes(n: bigint): number[] {
  if (n === 0n) return [];
  const out: number[] = [];
  let v = n;
  for (;;) {
    out.push(Number(BigInt.asUintN(8, v)));
    v >>= 8n;
    const last = out[out.length - 1] ?? 0;
    if ((v === 0n && (last & 0x80) === 0) || (v === -1n && (last & 0x80) !== 0)) break;
  }
  return out;
}

function bytesOf(a: AsmArg | undefined): Uint8Array {
  if (a instanceof Uint8Array) return a;
  return enc.encode(String(a ?? ''));
}

function num(a: AsmArg | undefined): number {
  return typeof a === 'number' ? a : Number(a ?? 0);
}

function encodeOne(part: { op: PickleOpName; args: readonly AsmArg[] }): Uint8Array[] {
  const code = OPCODE_BY_NAME[part.op];
  const [a, b] = part.args;
  const out = [code.code];
  // Payloads are appended as their own chunk so a large one is never spread into an array.
  let payload: Uint8Array | undefined;
  switch (code.arg) {
    case 'none':
      break;
    case 'uint1':
      out.push(num(a) & 0xff);
      break;
    case 'uint2':
      out.push(...le(num(a), 2));
      break;
    case 'int4':
    case 'uint4':
      out.push(...le(num(a), 4));
      break;
    case 'uint8':
      out.push(...le(num(a), 8));
      break;
    case 'float8': {
      const dv = new DataView(new ArrayBuffer(8));
      dv.setFloat64(0, num(a), false);
      out.push(...new Uint8Array(dv.buffer));
      break;
    }
    case 'decimalnl_short':
    case 'decimalnl_long':
    case 'floatnl':
    case 'stringnl':
    case 'stringnl_noescape':
    case 'unicodestringnl':
      out.push(...bytesOf(typeof a === 'bigint' ? a.toString() : a), 0x0a);
      break;
    case 'stringnl_noescape_pair':
      out.push(...bytesOf(a), 0x0a, ...bytesOf(b), 0x0a);
      break;
    case 'string1':
    case 'bytes1':
    case 'unicodestring1': {
      const d = bytesOf(a);
      out.push(d.length & 0xff);
      payload = d;
      break;
    }
    case 'string4':
    case 'bytes4':
    case 'unicodestring4': {
      const d = bytesOf(a);
      out.push(...le(d.length, 4));
      payload = d;
      break;
    }
    case 'bytes8':
    case 'bytearray8':
    case 'unicodestring8': {
      const d = bytesOf(a);
      out.push(...le(d.length, 8));
      payload = d;
      break;
    }
    case 'long1':
    case 'long4': {
      const d = longBytes(a instanceof Uint8Array ? 0n : BigInt(a ?? 0));
      out.push(...le(d.length, code.arg === 'long1' ? 1 : 4), ...d);
      break;
    }
    default: {
      const never: never = code.arg;
      return never;
    }
  }
  return payload === undefined ? [Uint8Array.from(out)] : [Uint8Array.from(out), payload];
}

/** Concatenates the parts into pickle bytes. */
export function assemblePickle(parts: readonly AsmPart[]): Uint8Array {
  const chunks = parts.flatMap((p) => (p instanceof Uint8Array ? [p] : encodeOne(p)));
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}
