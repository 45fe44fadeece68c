/**
 * Decoders for pickle opcode arguments: UTF-8 (as CPython's `surrogatepass`), Python 2 string
 * escapes (`codecs.escape_decode`), raw-unicode-escape, and the text integers/floats of protocol 0.
 * Each returns undefined where CPython's unpickler would raise, so the caller can report it.
 */

const utf8Fatal = new TextDecoder('utf-8', { fatal: true });
const utf8Lenient = new TextDecoder('utf-8');

/** True when `b` contains a UTF-8 encoded surrogate (ED A0..BF xx), which `surrogatepass` accepts. */
function hasEncodedSurrogate(b: Uint8Array): boolean {
  for (let i = 0; i + 1 < b.length; i++) if (b[i] === 0xed && (b[i + 1] ?? 0) >= 0xa0 && (b[i + 1] ?? 0) <= 0xbf) return true;
  return false;
}

/**
 * Decodes UTF-8 like CPython's `bytes.decode('utf-8', 'surrogatepass')` (BINUNICODE and friends):
 * undefined when the bytes are not valid. Short ASCII takes a fast path (dict keys, module names).
 */
export function decodeUtf8(b: Uint8Array): string | undefined {
  const n = b.length;
  if (n <= 64) {
    let s = '';
    let ascii = true;
    for (let i = 0; i < n; i++) {
      const c = b[i] as number;
      if (c >= 0x80) {
        ascii = false;
        break;
      }
      s += String.fromCharCode(c);
    }
    if (ascii) return s;
  }
  try {
    return utf8Fatal.decode(b);
  } catch {
    // A lone surrogate written with surrogatepass is valid for Python; the lenient decoder renders it
    // as U+FFFD, which is fine for evidence.
    return hasEncodedSurrogate(b) ? utf8Lenient.decode(b) : undefined;
  }
}

/** Decodes a prefix of UTF-8 that may end mid-character (for strings too long to keep whole). */
export function decodeUtf8Prefix(b: Uint8Array): string {
  return utf8Lenient.decode(b).replace(/\uFFFD$/, '');
}

/** Latin-1 (each byte one code unit): how a Python 2 str reads when it is ASCII. */
export function decodeLatin1(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 4096) s += String.fromCharCode(...b.subarray(i, i + 4096));
  return s;
}

/** True when every byte is ASCII (PERSID requires it). */
export function isAscii(b: Uint8Array): boolean {
  for (const c of b) if (c >= 0x80) return false;
  return true;
}

function hexVal(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

/**
 * `codecs.escape_decode` (STRING's argument after the quotes are stripped): `\\`, `\'`, `\"`, `\n`,
 * `\t`, ..., octal `\ooo`, `\xhh`; unknown escapes stay as written; a bad `\x` or a trailing
 * backslash raises in CPython, so undefined.
 */
export function escapeDecode(b: Uint8Array): Uint8Array | undefined {
  const out = new Uint8Array(b.length);
  let o = 0;
  for (let i = 0; i < b.length; i++) {
    const c = b[i] as number;
    if (c !== 0x5c) {
      out[o++] = c;
      continue;
    }
    i++;
    if (i >= b.length) return undefined;
    const e = b[i] as number;
    switch (e) {
      case 0x0a: break; // backslash-newline is a line continuation
      case 0x5c: out[o++] = 0x5c; break;
      case 0x27: out[o++] = 0x27; break;
      case 0x22: out[o++] = 0x22; break;
      case 0x61: out[o++] = 0x07; break; // \a
      case 0x62: out[o++] = 0x08; break; // \b
      case 0x66: out[o++] = 0x0c; break; // \f
      case 0x6e: out[o++] = 0x0a; break; // \n
      case 0x72: out[o++] = 0x0d; break; // \r
      case 0x74: out[o++] = 0x09; break; // \t
      case 0x76: out[o++] = 0x0b; break; // \v
      case 0x78: {
        const h1 = hexVal(b[i + 1] ?? 0);
        const h2 = hexVal(b[i + 2] ?? 0);
        if (h1 < 0 || h2 < 0) return undefined;
        out[o++] = h1 * 16 + h2;
        i += 2;
        break;
      }
      default:
        if (e >= 0x30 && e <= 0x37) {
          let v = e - 0x30;
          for (let k = 0; k < 2 && (b[i + 1] ?? 0) >= 0x30 && (b[i + 1] ?? 0) <= 0x37; k++) v = v * 8 + ((b[++i] as number) - 0x30);
          out[o++] = v & 0xff;
        } else {
          out[o++] = 0x5c;
          out[o++] = e;
        }
    }
  }
  return out.subarray(0, o);
}

/** `raw-unicode-escape` (UNICODE's argument): `\uXXXX` and `\UXXXXXXXX`, other bytes are Latin-1. */
export function rawUnicodeEscapeDecode(b: Uint8Array): string | undefined {
  let s = '';
  for (let i = 0; i < b.length; i++) {
    const c = b[i] as number;
    if (c === 0x5c && (b[i + 1] === 0x75 || b[i + 1] === 0x55)) {
      const digits = b[i + 1] === 0x75 ? 4 : 8;
      let v = 0;
      for (let k = 0; k < digits; k++) {
        const h = hexVal(b[i + 2 + k] ?? 0);
        if (h < 0) return undefined;
        v = v * 16 + h;
      }
      if (v > 0x10ffff) return undefined;
      s += String.fromCodePoint(v);
      i += 1 + digits;
    } else {
      s += String.fromCharCode(c);
    }
  }
  return s;
}

const INT_RE = /^\s*[+-]?(?:0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|\d(?:_?\d)*)\s*$/;
const DEC_RE = /^\s*[+-]?\d(?:_?\d)*\s*$/;

/**
 * Python `int(text, 0)` (INT, LONG) or `int(text)` (GET, PUT with `base10`), as a JS number
 * (approximate beyond 2^53, which only matters for evidence). Undefined where Python raises.
 */
export function parsePyInt(text: string, base10: boolean): number | undefined {
  if (!(base10 ? DEC_RE : INT_RE).test(text)) return undefined;
  const t = text.trim().replace(/_/g, '');
  const neg = t.startsWith('-');
  const body = t.replace(/^[+-]/, '');
  let v: number;
  if (/^0[xXoObB]/.test(body)) {
    // BigInt parses the 0x/0o/0b prefixes exactly as Python's base 0 does (after `_` removal).
    v = Number(BigInt(body.toLowerCase()));
  } else {
    v = Number(body);
  }
  return neg ? -v : v;
}

/** Python `float(text)` (FLOAT): undefined where Python raises. */
export function parsePyFloat(text: string): number | undefined {
  const t = text.trim().replace(/_/g, '').toLowerCase();
  if (/^[+-]?(?:nan)$/.test(t)) return NaN;
  if (/^[+-]?(?:inf|infinity)$/.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (!/^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/.test(t)) return undefined;
  return Number(t);
}

/** A little-endian two's-complement integer (LONG1/LONG4), approximate beyond 2^53. */
export function decodeLong(b: Uint8Array): number {
  if (b.length === 0) return 0;
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i] as number);
  if (((b[b.length - 1] as number) & 0x80) !== 0) v -= 1n << BigInt(b.length * 8);
  return Number(v);
}
