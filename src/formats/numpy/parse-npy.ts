/**
 * The NumPy `.npy` header (format spec: numpy/lib/format.py, "NPY format"): magic `\x93NUMPY`,
 * version, header length, then a Python dict literal giving dtype, memory order and shape. Object
 * arrays (dtype kind `O`) store their data as a pickle right after the header, which is why this
 * matters to a scanner: `np.load(..., allow_pickle=True)` unpickles it. This module only reads the
 * header; the scanner hands the bytes from `dataOffset` to the pickle parser.
 */
import { BulwarkError } from '../../errors.js';
import { describeSource, type ByteSource } from '../../io/byte-source.js';
import { parsePyLiteral, renderPyLiteral, type PyLiteral } from './py-literal.js';

/** The magic bytes every `.npy` file starts with. */
export const NPY_MAGIC: Readonly<Uint8Array> = Uint8Array.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);

/**
 * Largest header read. NumPy itself refuses headers above 10 000 bytes unless `allow_pickle=True`
 * (which lifts the limit), so real structured dtypes can exceed it; this only bounds memory.
 */
export const MAX_NPY_HEADER_BYTES = 4 * 1024 * 1024;

/** What a `.npy` header says. */
export interface NpyHeader {
  /** Format version: 1.0, 2.0 (4-byte header length) or 3.0 (4-byte length, UTF-8 header). */
  major: number;
  minor: number;
  /** Bytes of the header dict (including its padding), as declared. */
  headerLength: number;
  /** Offset of the array data: a pickle when {@link NpyHeader.hasObject} is true. */
  dataOffset: number;
  /** The dtype: a type string such as `<f4`, or a structured description rendered in Python syntax. */
  descr: string;
  fortranOrder: boolean;
  shape: number[];
  /** True when the dtype, or any field of a structured dtype, has kind `O` (Python objects). */
  hasObject: boolean;
}

/** True when `head` starts with the `.npy` magic. */
export function sniffNpy(head: Uint8Array): boolean {
  return head.length >= NPY_MAGIC.length && NPY_MAGIC.every((b, i) => head[i] === b);
}

/** Splits a comma-separated dtype spec, keeping the commas inside a shape like `(2,3)O`. */
function splitTopLevel(spec: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < spec.length; i++) {
    const c = spec[i];
    if (c === '(' || c === '[') depth++;
    else if ((c === ')' || c === ']') && depth > 0) depth--;
    else if (c === ',' && depth === 0) {
      parts.push(spec.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(spec.slice(start));
  return parts;
}

/**
 * True when a dtype string denotes Python objects: `O`, `O8`, `|O`, `object`, `object_` and their
 * sized or shaped forms, also as one field of a comma-separated spec (`i4,O`), which NumPy turns
 * into a structured dtype. Matched case-insensitively: a false positive costs a finding on a file
 * NumPy cannot load, a false negative would hide a pickle.
 */
function isObjectTypestr(typestr: string): boolean {
  return splitTopLevel(typestr).some((part) => /^\s*(?:\(\s*[\d\s,]*\)\s*|\d+)?[<>|=!]?(?:O\d*|object\d*_?)\s*$/i.test(part));
}

/**
 * Walks a descr the way `numpy.lib.format.descr_to_dtype` does: a string is a dtype; a tuple is
 * (base descr, shape); a list holds (name, descr) or (name, descr, shape) fields.
 */
function descrHasObject(d: PyLiteral, depth: number): boolean {
  if (depth > 64) return false;
  switch (d.kind) {
    case 'str':
      return isObjectTypestr(d.value);
    case 'tuple':
      return d.items[0] !== undefined && descrHasObject(d.items[0], depth + 1);
    case 'list':
      return d.items.some((field) => {
        if (field.kind !== 'tuple' && field.kind !== 'list') return false;
        const sub = field.items[1];
        return sub !== undefined && descrHasObject(sub, depth + 1);
      });
    case 'bytes':
    case 'int':
    case 'bool':
    case 'none':
    case 'dict':
      return false;
    default: {
      const unreachable: never = d;
      return unreachable;
    }
  }
}

/**
 * Reads and validates the header of a `.npy` source. Never evaluates anything: the dict is read by
 * a bounded literal parser. Throws PARSE_ERROR (naming the file, offset and what was expected) for
 * a malformed header, UNSUPPORTED for an unknown format version, LIMIT_EXCEEDED for a header above
 * {@link MAX_NPY_HEADER_BYTES}.
 */
export async function parseNpyHeader(src: ByteSource): Promise<NpyHeader> {
  const where = describeSource(src);
  const bad = (offset: number, expected: string): BulwarkError<'PARSE_ERROR'> =>
    new BulwarkError('PARSE_ERROR', `${where}: NumPy header at offset ${offset}: expected ${expected}`);

  const pre = await src.read(0, 12);
  if (!sniffNpy(pre)) throw bad(0, 'the magic \\x93NUMPY');
  if (pre.length < 10) throw bad(pre.length, 'a format version and header length');
  const major = pre[6] ?? 0;
  const minor = pre[7] ?? 0;
  if ((major !== 1 && major !== 2 && major !== 3) || minor !== 0) {
    throw new BulwarkError('UNSUPPORTED', `${where}: NumPy format version ${major}.${minor} is not supported (expected 1.0, 2.0 or 3.0)`);
  }
  const dv = new DataView(pre.buffer, pre.byteOffset, pre.byteLength);
  if (major > 1 && pre.length < 12) throw bad(pre.length, 'a 4-byte header length');
  const headerLength = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  const headerStart = major === 1 ? 10 : 12;
  if (headerLength > MAX_NPY_HEADER_BYTES) {
    throw new BulwarkError(
      'LIMIT_EXCEEDED',
      `${where}: NumPy header at offset ${headerStart} is ${headerLength} bytes, more than ${MAX_NPY_HEADER_BYTES}`,
    );
  }
  const raw = await src.read(headerStart, headerLength);
  if (raw.length < headerLength) throw bad(headerStart + raw.length, `${headerLength} header bytes before the end of the file`);

  let text: string;
  try {
    // Versions 1 and 2 store the header in latin-1; version 3 allows UTF-8 field names.
    text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1', { fatal: true }).decode(raw);
  } catch (err) {
    throw new BulwarkError('PARSE_ERROR', `${where}: NumPy header at offset ${headerStart}: expected UTF-8 text`, { cause: err });
  }
  const byteOffset = (pos: number): number => headerStart + (major === 3 ? new TextEncoder().encode(text.slice(0, pos)).length : pos);

  const parsed = parsePyLiteral(text);
  if (!parsed.ok) throw bad(byteOffset(parsed.position), parsed.expected);
  const dict = parsed.value;
  if (dict.kind !== 'dict') throw bad(headerStart, `a dict literal, found a ${dict.kind}`);

  // Python keeps the last of repeated keys; NumPy then insists on exactly these three.
  const fields = new Map<string, PyLiteral>();
  for (const [k, v] of dict.entries) {
    if (k.kind !== 'str') throw bad(headerStart, `string keys in the header dict, found ${renderPyLiteral(k)}`);
    fields.set(k.value, v);
  }
  const keys = [...fields.keys()].sort();
  if (keys.join() !== 'descr,fortran_order,shape') {
    throw bad(headerStart, `exactly the keys 'descr', 'fortran_order' and 'shape', found ${keys.map((k) => `'${k}'`).join(', ') || 'none'}`);
  }
  const descr = fields.get('descr') as PyLiteral;
  const fortran = fields.get('fortran_order') as PyLiteral;
  const shape = fields.get('shape') as PyLiteral;
  if (descr.kind !== 'str' && descr.kind !== 'list' && descr.kind !== 'tuple') {
    throw bad(headerStart, `'descr' to be a type string or a structured description, found ${renderPyLiteral(descr)}`);
  }
  if (fortran.kind !== 'bool') throw bad(headerStart, `'fortran_order' to be True or False, found ${renderPyLiteral(fortran)}`);
  if (shape.kind !== 'tuple') throw bad(headerStart, `'shape' to be a tuple, found ${renderPyLiteral(shape)}`);
  const dims = shape.items.map((item) => {
    if (item.kind !== 'int' || item.value < 0n || item.value > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw bad(headerStart, `'shape' to hold non-negative integers, found ${renderPyLiteral(shape)}`);
    }
    return Number(item.value);
  });

  return {
    major,
    minor,
    headerLength,
    dataOffset: headerStart + headerLength,
    descr: descr.kind === 'str' ? descr.value : renderPyLiteral(descr),
    fortranOrder: fortran.value,
    shape: dims,
    hasObject: descrHasObject(descr, 0),
  };
}
