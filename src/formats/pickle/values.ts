/**
 * The symbolic values the pickle parser keeps on its stack and in its memo. They stand for what the
 * unpickler would hold, with every size bounded: strings and containers keep a prefix, big payloads
 * keep only where they are in the source. Nothing is ever evaluated.
 */
import type { CallableRef } from './facts.js';

/** Items kept per tuple/list; the rest are counted only. Enough for joblib shapes and dtype states. */
export const MAX_KEPT_ITEMS = 64;
/** Dict entries kept per dict (joblib wrapper states have 6). */
export const MAX_KEPT_ENTRIES = 32;
/** UTF-16 units of a string kept in a value. */
export const MAX_KEPT_CHARS = 1024;
/** Bytes of a bytes payload kept in a value when it is not contiguous in the source. */
export const MAX_KEPT_BYTES = 64;

/**
 * A bytes-like payload of `length` bytes. `at` is the absolute source offset of its first byte when
 * the payload sits there verbatim (binary opcodes), so a nested pickle can be parsed in place;
 * `data` holds the content when it was decoded instead (protocol 0 STRING), bounded.
 */
export interface BytesValue {
  k: 'bytes';
  /** Offset of the opcode that pushed it. */
  op: number;
  length: number;
  at: number | undefined;
  data: Uint8Array | undefined;
  prefix: Uint8Array;
}

/** A symbolic value. `d` is the nesting depth (scalars 0), bounded by `limits.maxDepth`. */
export type Value =
  | { k: 'global'; module: string; name: string; offset: number }
  /**
   * A string (`cut` when `v` is a prefix). A Python 2 str (STRING, BINSTRING, SHORT_BINSTRING) loads
   * as str or as bytes depending on the loader's `encoding`, so it carries its bytes view too.
   */
  | { k: 'str'; v: string; cut: boolean; asBytes: BytesValue | undefined }
  | BytesValue
  | { k: 'int'; v: number }
  | { k: 'float'; v: number }
  | { k: 'bool'; v: boolean }
  | { k: 'none' }
  | { k: 'tuple'; items: Value[]; n: number; d: number }
  | { k: 'list'; items: Value[]; n: number; d: number }
  | { k: 'dict'; entries: [Value, Value][]; n: number; d: number }
  | { k: 'set'; n: number; frozen: boolean }
  /**
   * The result of an invocation (REDUCE, NEWOBJ, ...): `fn` made it from `args`; BUILD later sets
   * `state`. Objects are shared by reference through the memo, as in the unpickler.
   */
  | { k: 'call'; fn: CallableRef; args: Value; state: Value | undefined; d: number; offset: number }
  | { k: 'ext'; code: number }
  | { k: 'pid'; of: Value }
  /** The callable produced by a STACK_GLOBAL whose operands are not constants. */
  | { k: 'dyn'; description: string }
  /** A NumPy array joblib read inline. */
  | { k: 'array'; dtype: string }
  | { k: 'buffer' }
  | { k: 'unknown'; why: string };

/** The depth of a value. */
export function depthOf(v: Value): number {
  switch (v.k) {
    case 'tuple':
    case 'list':
    case 'dict':
    case 'call':
      return v.d;
    case 'global':
    case 'str':
    case 'bytes':
    case 'int':
    case 'float':
    case 'bool':
    case 'none':
    case 'set':
    case 'ext':
    case 'pid':
    case 'dyn':
    case 'array':
    case 'buffer':
    case 'unknown':
      return 0;
    default: {
      const never: never = v;
      return never;
    }
  }
}

const SMALL_INTS: readonly Value[] = Array.from({ length: 256 }, (_, i) => Object.freeze({ k: 'int', v: i }) as Value);

/** An int value; 0..255 are shared (they are immutable), which keeps the hot loop allocation-free. */
export function intValue(v: number): Value {
  return v >= 0 && v < 256 && Number.isInteger(v) ? (SMALL_INTS[v] as Value) : { k: 'int', v };
}

/** Shared immutable constants. */
export const NONE: Value = Object.freeze({ k: 'none' });
/** Shared `True`. */
export const TRUE: Value = Object.freeze({ k: 'bool', v: true });
/** Shared `False`. */
export const FALSE: Value = Object.freeze({ k: 'bool', v: false });

/** Builds a tuple value from popped items (keeps a bounded prefix). */
export function tupleValue(items: Value[]): Value {
  const kept = items.length > MAX_KEPT_ITEMS ? items.slice(0, MAX_KEPT_ITEMS) : items;
  let d = 0;
  for (const it of kept) {
    const di = depthOf(it);
    if (di > d) d = di;
  }
  return { k: 'tuple', items: kept, n: items.length, d: d + 1 };
}

/** The CallableRef the unpickler would call when `v` is the callable operand. */
export function callableOf(v: Value): CallableRef {
  switch (v.k) {
    case 'global':
      return { kind: 'global', module: v.module, name: v.name, importOffset: v.offset };
    case 'call':
      return { kind: 'call-result', via: viaOf(v.fn) };
    case 'ext':
      return { kind: 'extension', code: v.code };
    case 'dyn':
      return { kind: 'other', description: `dynamic import (${v.description})` };
    case 'str':
    case 'bytes':
    case 'int':
    case 'float':
    case 'bool':
    case 'none':
    case 'tuple':
    case 'list':
    case 'dict':
    case 'set':
    case 'pid':
    case 'array':
    case 'buffer':
    case 'unknown':
      return { kind: 'other', description: renderValue(v, 80) };
    default: {
      const never: never = v;
      return never;
    }
  }
}

const MAX_VIA = 200;

/** `module.name(...)` for the call that produced a value, bounded (call chains nest). */
function viaOf(fn: CallableRef): string {
  let s: string;
  switch (fn.kind) {
    case 'global':
      s = `${fn.module}.${fn.name}(...)`;
      break;
    case 'call-result':
      s = `${fn.via}(...)`;
      break;
    case 'extension':
      s = `<extension ${fn.code}>(...)`;
      break;
    case 'other':
      s = `<${fn.description}>(...)`;
      break;
    default: {
      const never: never = fn;
      return never;
    }
  }
  return s.length > MAX_VIA ? `${s.slice(0, MAX_VIA)}...` : s;
}

function reprStr(s: string, cut: boolean): string {
  const body = JSON.stringify(s).slice(1, -1).replace(/\\"/g, '"').replace(/'/g, "\\'");
  return `'${body}${cut ? '...' : ''}'`;
}

function reprBytes(b: Uint8Array, total: number): string {
  let s = "b'";
  for (const c of b) {
    if (c === 0x27 || c === 0x5c) s += `\\${String.fromCharCode(c)}`;
    else if (c >= 0x20 && c < 0x7f) s += String.fromCharCode(c);
    else s += `\\x${c.toString(16).padStart(2, '0')}`;
  }
  return `${s}${b.length < total ? '...' : ''}'`;
}

/** Python-like, bounded rendering of a value for evidence (`('echo hi',)`); depth-capped. */
export function renderValue(v: Value, max = 200): string {
  // The budget bounds the work too, not just the output: wide, deep values stop rendering early.
  const s = render(v, 4, { left: max + 16 });
  return s.length > max ? `${s.slice(0, max)}...` : s;
}

interface Budget {
  left: number;
}

function renderItems(items: readonly Value[], n: number, depth: number, b: Budget): string {
  const parts: string[] = [];
  for (const it of items) {
    if (parts.length >= 8 || b.left <= 0) break;
    parts.push(render(it, depth - 1, b));
  }
  if (n > parts.length) parts.push('...');
  return parts.join(', ');
}

function render(v: Value, depth: number, b: Budget): string {
  if (depth <= 0 || b.left <= 0) return '...';
  const s = renderNode(v, depth, b);
  b.left -= s.length;
  return s;
}

function renderNode(v: Value, depth: number, b: Budget): string {
  switch (v.k) {
    case 'global':
      return `${v.module}.${v.name}`;
    case 'str':
      return reprStr(v.v.length > 120 ? v.v.slice(0, 120) : v.v, v.cut || v.v.length > 120);
    case 'bytes': {
      const shown = v.data ?? v.prefix;
      return reprBytes(shown.subarray(0, 48), v.length);
    }
    case 'int':
    case 'float':
      return String(v.v);
    case 'bool':
      return v.v ? 'True' : 'False';
    case 'none':
      return 'None';
    case 'tuple':
      return v.n === 1 && v.items[0] !== undefined ? `(${render(v.items[0], depth - 1, b)},)` : `(${renderItems(v.items, v.n, depth, b)})`;
    case 'list':
      return `[${renderItems(v.items, v.n, depth, b)}]`;
    case 'dict': {
      const parts: string[] = [];
      for (const [key, val] of v.entries) {
        if (parts.length >= 8 || b.left <= 0) break;
        parts.push(`${render(key, depth - 1, b)}: ${render(val, depth - 1, b)}`);
      }
      if (v.n > parts.length) parts.push('...');
      return `{${parts.join(', ')}}`;
    }
    case 'set':
      return `<${v.frozen ? 'frozenset' : 'set'} of ${v.n}>`;
    case 'call':
      return `<result of ${viaOf(v.fn)}>`;
    case 'ext':
      return `<extension ${v.code}>`;
    case 'pid':
      return `<persistent id ${render(v.of, depth - 1, b)}>`;
    case 'dyn':
      return `<dynamic import>`;
    case 'array':
      return `<ndarray ${v.dtype}>`;
    case 'buffer':
      return '<out-of-band buffer>';
    case 'unknown':
      return `<unknown: ${v.why}>`;
    default: {
      const never: never = v;
      return never;
    }
  }
}

/** The value of `key` in a dict value (string keys only), when it was kept. */
export function dictGet(d: Value, key: string): Value | undefined {
  if (d.k !== 'dict') return undefined;
  // The last assignment wins, as in the dict the unpickler builds.
  let found: Value | undefined;
  for (const [k, v] of d.entries) if (k.k === 'str' && !k.cut && k.v === key) found = v;
  return found;
}

const SINGLE_CHAR_SIZES: Readonly<Record<string, number>> = {
  '?': 1, b: 1, B: 1, h: 2, H: 2, i: 4, I: 4, l: 8, L: 8, q: 8, Q: 8, p: 8, P: 8, n: 8, N: 8,
  e: 2, f: 4, d: 8, g: 16, F: 8, D: 16, G: 32, O: 8, M: 8, m: 8,
};

/**
 * Item size and object-ness of a NumPy dtype string as `numpy.dtype.__reduce__` writes it
 * (`'f8'`, `'U10'`, `'V12'`, `'<i4'`, `'O8'`, `'M8'`). `U<n>` counts characters (4 bytes each);
 * other letters with a number count bytes. Undefined when the string is not a dtype.
 */
export function dtypeItemSize(dtype: string): { itemsize: number; object: boolean } | undefined {
  const m = /^[<>|=]?([?a-zA-Z])(\d*)(?:\[[a-zA-Z0-9]+\])?$/.exec(dtype);
  if (!m) return undefined;
  const letter = m[1] ?? '';
  const digits = m[2] ?? '';
  const object = letter === 'O';
  if (digits === '') {
    const size = SINGLE_CHAR_SIZES[letter];
    return size === undefined ? undefined : { itemsize: size, object };
  }
  const n = Number(digits);
  if (!Number.isSafeInteger(n)) return undefined;
  switch (letter) {
    case 'U':
    case 'w':
      return { itemsize: n * 4, object };
    case 'b':
    case 'i':
    case 'u':
    case 'f':
    case 'c':
    case 'S':
    case 'a':
    case 'V':
    case 'O':
    case 'M':
    case 'm':
      return { itemsize: n, object };
    default:
      return undefined;
  }
}
