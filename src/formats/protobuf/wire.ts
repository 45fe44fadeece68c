/**
 * A small, bounded reader for the protobuf binary wire format
 * (https://protobuf.dev/programming-guides/encoding/).
 *
 * Why not protobufjs or another decoder: they decode a whole message into memory, and the files we
 * read (ONNX models, TensorFlow SavedModels) can be several GB of hostile bytes whose bulk is tensor
 * data we never need. This reader walks fields by offset through a ByteSource, reads only the few
 * scalar and string fields the format parsers ask for, and skips every length-delimited payload it
 * is not told to enter (initializer raw_data, tensor_content) by arithmetic, never by copying. It is
 * bounded in fields visited, nesting depth, wall-clock time and bytes copied per string, and
 * honours an AbortSignal. It knows nothing about schemas: the format parsers map field numbers.
 */
import { BulwarkError } from '../../errors.js';
import { describeSource, type ByteSource } from '../../io/byte-source.js';
import type { Limits } from '../../io/limits.js';

/** One field of a message, as found on the wire. Offsets are absolute in the source. */
export type ProtoField =
  /** Wire type 0 (int32/64, uint32/64, bool, enum). The raw 64-bit unsigned value. */
  | { kind: 'varint'; field: number; offset: number; value: bigint }
  /** Wire type 1 (fixed64, sfixed64, double): the raw little-endian 64 bits. */
  | { kind: 'fixed64'; field: number; offset: number; value: bigint }
  /** Wire type 5 (fixed32, sfixed32, float): the raw little-endian 32 bits. */
  | { kind: 'fixed32'; field: number; offset: number; value: number }
  /**
   * Wire type 2 (bytes, string, nested message, packed repeated): the payload is NOT read.
   * `truncated`: the declared length ran past the end of the enclosing message; `length` is what
   * remains, and the walk throws PARSE_ERROR right after this field.
   */
  | { kind: 'bytes'; field: number; offset: number; start: number; length: number; truncated?: true }
  /** Wire types 3/4 (deprecated groups): skipped, with their extent. */
  | { kind: 'group'; field: number; offset: number; start: number; end: number };

/** Bounds of one protobuf walk. */
export interface ProtoReaderOptions {
  /** Aborting makes the walk throw BulwarkError('ABORTED'). */
  signal?: AbortSignal | undefined;
  /** Fields visited over the whole walk, at every depth (default DEFAULT_MAX_PROTO_FIELDS). */
  maxFields?: number | undefined;
  /** Nesting depth of messages entered (default DEFAULT_MAX_PROTO_DEPTH). */
  maxDepth?: number | undefined;
  /** Milliseconds since the epoch after which the walk throws LIMIT_EXCEEDED. */
  deadline?: number | undefined;
  /** Clock for the deadline (default Date.now). */
  now?: (() => number) | undefined;
}

/**
 * Nesting bound. Google's C++ and Java parsers stop at 100 levels of message recursion
 * (io::CodedInputStream::kDefaultRecursionLimit); a file deeper than that does not load anywhere.
 */
export const DEFAULT_MAX_PROTO_DEPTH = 100;

/** Fields visited per walk: far above any real model graph (ONNX packs tensor data), far below a hang. */
export const DEFAULT_MAX_PROTO_FIELDS = 50_000_000;

/** Bytes fetched per window read: one read serves many small fields. */
const WINDOW_BYTES = 64 * 1024;

/** A tag (5 bytes) and a length (10 bytes) fit in this many bytes. */
const MAX_HEADER_BYTES = 15;

/** How often (in fields) the clock and the signal are checked. */
const TICK_EVERY = 4096;

/** Walk state: the source, a read-ahead window and the budgets. Create one per parse. */
export interface ProtoReader {
  readonly src: ByteSource;
  readonly maxFields: number;
  readonly maxDepth: number;
  readonly signal: AbortSignal | undefined;
  readonly deadline: number | undefined;
  readonly now: () => number;
  /** Fields visited so far. */
  fields: number;
  windowStart: number;
  window: Uint8Array;
}

/** Starts a walk over `src`. */
export function createProtoReader(src: ByteSource, opts: ProtoReaderOptions = {}): ProtoReader {
  return {
    src,
    maxFields: opts.maxFields ?? DEFAULT_MAX_PROTO_FIELDS,
    maxDepth: opts.maxDepth ?? DEFAULT_MAX_PROTO_DEPTH,
    signal: opts.signal,
    deadline: opts.deadline,
    now: opts.now ?? Date.now,
    fields: 0,
    windowStart: 0,
    window: new Uint8Array(0),
  };
}

/**
 * Starts a walk bounded by the scan limits: `limits.timeoutMs` from now, and `limits.maxDepth`
 * capped at {@link DEFAULT_MAX_PROTO_DEPTH} (what Google's parsers accept).
 */
export function createLimitedProtoReader(
  src: ByteSource,
  opts: { limits: Pick<Limits, 'timeoutMs' | 'maxDepth'>; signal?: AbortSignal | undefined; now?: (() => number) | undefined },
): ProtoReader {
  const now = opts.now ?? Date.now;
  return createProtoReader(src, {
    signal: opts.signal,
    deadline: now() + opts.limits.timeoutMs,
    now,
    maxDepth: Math.min(opts.limits.maxDepth, DEFAULT_MAX_PROTO_DEPTH),
  });
}

/** A PARSE_ERROR naming the source, the offset and what was expected there; `cause.offset` holds the offset. */
export function protoParseError(src: ByteSource, offset: number, what: string): BulwarkError<'PARSE_ERROR'> {
  return new BulwarkError('PARSE_ERROR', `${describeSource(src)}: malformed protobuf at offset ${offset}: ${what}`, { cause: { offset } });
}

function limitError(src: ByteSource, offset: number, what: string): BulwarkError<'LIMIT_EXCEEDED'> {
  return new BulwarkError('LIMIT_EXCEEDED', `${describeSource(src)}: protobuf walk stopped at offset ${offset}: ${what}`);
}

/** Counts one field against the budgets; checks the clock and the signal now and then. */
function tick(r: ProtoReader, offset: number): void {
  r.fields += 1;
  if (r.fields > r.maxFields) throw limitError(r.src, offset, `more than ${r.maxFields} fields`);
  if (r.fields % TICK_EVERY !== 0) return;
  if (r.signal?.aborted === true) {
    throw new BulwarkError('ABORTED', `${describeSource(r.src)}: protobuf walk was aborted`, { cause: r.signal.reason });
  }
  if (r.deadline !== undefined && r.now() > r.deadline) throw limitError(r.src, offset, 'time limit reached');
}

/** Makes the window cover [pos, pos + want) (clipped to the source); returns the index of pos in it. */
async function windowAt(r: ProtoReader, pos: number, want: number): Promise<number> {
  const have = r.windowStart + r.window.length;
  if (pos >= r.windowStart && pos + want <= have) return pos - r.windowStart;
  if (pos >= r.windowStart && have >= r.src.size) return pos - r.windowStart;
  r.window = await r.src.read(pos, Math.max(want, WINDOW_BYTES));
  r.windowStart = pos;
  return 0;
}

/** Result of decoding a varint from a buffer. */
type VarintResult = { ok: true; value: bigint; next: number } | { ok: false; reason: 'truncated' | 'overlong' };

/**
 * Decodes a base-128 varint at `i` (encoding, "Base 128 Varints"): at most 10 bytes, and the
 * tenth may only carry the single remaining bit of a 64-bit value.
 */
export function decodeVarint(buf: Uint8Array, i: number, limit: number): VarintResult {
  let lo = 0;
  let shift = 0;
  // Fast path: the first 4 bytes fit in 28 bits of a number.
  for (let k = 0; k < 4; k++) {
    if (i + k >= limit) return { ok: false, reason: 'truncated' };
    const b = buf[i + k] ?? 0;
    lo += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if (b < 0x80) return { ok: true, value: BigInt(lo), next: i + k + 1 };
  }
  let value = BigInt(lo);
  for (let k = 4; k < 10; k++) {
    if (i + k >= limit) return { ok: false, reason: 'truncated' };
    const b = buf[i + k] ?? 0;
    if (k === 9 && b > 1) return { ok: false, reason: 'overlong' };
    value |= BigInt(b & 0x7f) << BigInt(7 * k);
    if (b < 0x80) return { ok: true, value, next: i + k + 1 };
  }
  return { ok: false, reason: 'overlong' };
}

/** A field header decoded from a buffer, or why not. */
export type HeaderResult =
  | { ok: true; field: number; wire: number; next: number; value?: bigint; length?: number }
  | { ok: false; reason: string; truncated: boolean };

/**
 * Decodes the tag of the field at `i` and, for varint and length-delimited fields, the value or
 * the length. Fixed-width values are left to the caller. Field numbers are 1..2^29-1 and wire
 * types 0-5 (encoding, "Message Structure"); 6 and 7 do not exist.
 */
export function decodeHeader(buf: Uint8Array, i: number, limit: number): HeaderResult {
  const tag = decodeVarint(buf, i, limit);
  if (!tag.ok) return { ok: false, reason: `${tag.reason} tag varint`, truncated: tag.reason === 'truncated' };
  if (tag.value > 0xffffffffn) return { ok: false, reason: 'tag larger than 32 bits', truncated: false };
  const t = Number(tag.value);
  const field = Math.floor(t / 8);
  const wire = t & 7;
  if (field === 0) return { ok: false, reason: 'field number 0', truncated: false };
  if (wire === 6 || wire === 7) return { ok: false, reason: `invalid wire type ${wire}`, truncated: false };
  if (wire === 0 || wire === 2) {
    const v = decodeVarint(buf, tag.next, limit);
    if (!v.ok) return { ok: false, reason: `${v.reason} ${wire === 0 ? 'varint value' : 'length'}`, truncated: v.reason === 'truncated' };
    if (wire === 0) return { ok: true, field, wire, next: v.next, value: v.value };
    if (v.value > BigInt(Number.MAX_SAFE_INTEGER)) return { ok: false, reason: 'length larger than 2^53', truncated: false };
    return { ok: true, field, wire, next: v.next, length: Number(v.value) };
  }
  return { ok: true, field, wire, next: tag.next };
}

/**
 * Counts the field at `pos` against the budgets and decodes its header, within a message that
 * ends at `end`. On success `next` is the absolute offset just past the header.
 */
async function headerAt(r: ProtoReader, pos: number, end: number): Promise<HeaderResult> {
  tick(r, pos);
  const i = await windowAt(r, pos, Math.min(MAX_HEADER_BYTES, end - pos));
  const h = decodeHeader(r.window, i, Math.min(r.window.length, end - r.windowStart));
  if (h.ok) h.next += r.windowStart;
  return h;
}

function u32(buf: Uint8Array, i: number): number {
  return ((buf[i] ?? 0) | ((buf[i + 1] ?? 0) << 8) | ((buf[i + 2] ?? 0) << 16)) + (buf[i + 3] ?? 0) * 0x1000000;
}

/**
 * Walks the fields of the message occupying [start, end) of the source. `depth` is the nesting
 * level of this message (0 for the top level); callers entering a nested message pass depth + 1.
 * Length-delimited payloads are yielded by extent and never read. Throws PARSE_ERROR on broken
 * wire data, LIMIT_EXCEEDED on a budget, ABORTED on the signal.
 */
export async function* readFields(r: ProtoReader, start: number, end: number, depth: number): AsyncGenerator<ProtoField, void, undefined> {
  if (depth > r.maxDepth) throw limitError(r.src, start, `messages nested deeper than ${r.maxDepth} levels`);
  if (end > r.src.size) throw protoParseError(r.src, start, `message extent [${start}, ${end}) runs past the end of the source (${r.src.size} bytes)`);
  let pos = start;
  while (pos < end) {
    const h = await headerAt(r, pos, end);
    if (!h.ok) throw protoParseError(r.src, pos, `expected a field tag and value, found ${h.reason}${h.truncated ? ` (message ends at ${end})` : ''}`);
    const after = h.next;
    switch (h.wire) {
      case 0:
        yield { kind: 'varint', field: h.field, offset: pos, value: h.value ?? 0n };
        pos = after;
        break;
      case 1: {
        if (after + 8 > end) throw protoParseError(r.src, pos, `fixed64 field ${h.field} needs 8 bytes, message ends at ${end}`);
        const j = await windowAt(r, after, 8);
        const value = BigInt(u32(r.window, j)) | (BigInt(u32(r.window, j + 4)) << 32n);
        yield { kind: 'fixed64', field: h.field, offset: pos, value };
        pos = after + 8;
        break;
      }
      case 5: {
        if (after + 4 > end) throw protoParseError(r.src, pos, `fixed32 field ${h.field} needs 4 bytes, message ends at ${end}`);
        const j = await windowAt(r, after, 4);
        yield { kind: 'fixed32', field: h.field, offset: pos, value: u32(r.window, j) };
        pos = after + 4;
        break;
      }
      case 2: {
        const length = h.length ?? 0;
        if (after + length > end) {
          // A truncated file breaks every enclosing frame. Hand out what is there first, so the
          // prefix is still walked (and judged), then fail with the outermost cause.
          const err = protoParseError(r.src, pos, `field ${h.field} declares ${length} bytes at ${after}, past the end of its message (${end})`);
          yield { kind: 'bytes', field: h.field, offset: pos, start: after, length: end - after, truncated: true };
          throw err;
        }
        yield { kind: 'bytes', field: h.field, offset: pos, start: after, length };
        pos = after + length;
        break;
      }
      case 3: {
        const groupEnd = await skipGroup(r, h.field, after, end, depth + 1);
        yield { kind: 'group', field: h.field, offset: pos, start: after, end: groupEnd };
        pos = groupEnd;
        break;
      }
      case 4:
        throw protoParseError(r.src, pos, `end-group tag for field ${h.field} without a matching start-group`);
      default:
        throw protoParseError(r.src, pos, `invalid wire type ${h.wire}`);
    }
  }
}

/**
 * Skips a deprecated group (wire types 3/4, encoding "Groups") whose body starts at `start`:
 * walks its fields (bounded like any message) to the matching end-group tag. Returns the offset
 * just past that tag.
 */
async function skipGroup(r: ProtoReader, field: number, start: number, end: number, depth: number): Promise<number> {
  if (depth > r.maxDepth) throw limitError(r.src, start, `groups nested deeper than ${r.maxDepth} levels`);
  let pos = start;
  while (pos < end) {
    const h = await headerAt(r, pos, end);
    if (!h.ok) throw protoParseError(r.src, pos, `expected a field inside group ${field}, found ${h.reason}`);
    const after = h.next;
    if (h.wire === 4) {
      if (h.field !== field) throw protoParseError(r.src, pos, `end-group for field ${h.field} closes group ${field}`);
      return after;
    }
    const at = pos;
    if (h.wire === 3) pos = await skipGroup(r, h.field, after, end, depth + 1);
    else if (h.wire === 0) pos = after;
    else if (h.wire === 1) pos = after + 8;
    else if (h.wire === 5) pos = after + 4;
    else pos = after + (h.length ?? 0);
    if (pos > end) throw protoParseError(r.src, at, `field ${h.field} in group ${field} runs past the end of its message (${end})`);
  }
  throw protoParseError(r.src, start, `group ${field} has no end-group tag before offset ${end}`);
}

/**
 * Copies at most `max` bytes of a length-delimited payload (for names and short strings; tensor
 * data is never read through this). `truncated` says whether the payload was longer.
 */
export async function readPayload(r: ProtoReader, f: { start: number; length: number }, max: number): Promise<{ bytes: Uint8Array; truncated: boolean }> {
  const n = Math.min(f.length, max);
  if (n <= 0) return { bytes: new Uint8Array(0), truncated: f.length > 0 };
  const have = r.windowStart + r.window.length;
  const bytes =
    f.start >= r.windowStart && f.start + n <= have
      ? r.window.slice(f.start - r.windowStart, f.start - r.windowStart + n)
      : await r.src.read(f.start, n);
  if (bytes.length < n) throw protoParseError(r.src, f.start, `payload of ${f.length} bytes runs past the end of the source`);
  return { bytes, truncated: f.length > n };
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

/** Reads a string field as UTF-8 (invalid sequences become U+FFFD), at most `max` bytes of it. */
export async function readString(r: ProtoReader, f: { start: number; length: number }, max: number): Promise<string> {
  const { bytes } = await readPayload(r, f, max);
  return utf8.decode(bytes);
}

/** Decodes a packed repeated varint payload (e.g. TensorProto.dims), at most `max` values. */
export function decodePackedVarints(bytes: Uint8Array, max: number): { values: bigint[]; error?: string; truncated: boolean } {
  const values: bigint[] = [];
  let i = 0;
  while (i < bytes.length) {
    if (values.length >= max) return { values, truncated: true };
    const v = decodeVarint(bytes, i, bytes.length);
    if (!v.ok) return { values, error: `${v.reason} varint at byte ${i} of a packed field`, truncated: false };
    values.push(v.value);
    i = v.next;
  }
  return { values, truncated: false };
}

/** Reinterprets an unsigned 64-bit varint as the signed int64 it encodes (two's complement). */
export function toInt64(v: bigint): bigint {
  return BigInt.asIntN(64, v);
}

/** A bigint as a number when it is exactly representable, else undefined. */
export function safeNumber(v: bigint): number | undefined {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : undefined;
}

/**
 * Scans the head of a buffer as a message for sniffing: decodes field headers from offset 0 and
 * skips payloads, stopping quietly where the head ends. Returns the headers seen (at most `max`),
 * or undefined when the bytes are not valid wire format.
 */
export function scanHead(head: Uint8Array, max: number, size = Number.POSITIVE_INFINITY): { field: number; wire: number; offset: number; next: number; value?: bigint; length?: number }[] | undefined {
  const out: { field: number; wire: number; offset: number; next: number; value?: bigint; length?: number }[] = [];
  let pos = 0;
  while (pos < head.length && out.length < max) {
    const h = decodeHeader(head, pos, head.length);
    if (!h.ok) return h.truncated && out.length > 0 ? out : undefined;
    if (h.wire === 3 || h.wire === 4) return undefined;
    const rec: { field: number; wire: number; offset: number; next: number; value?: bigint; length?: number } = { field: h.field, wire: h.wire, offset: pos, next: h.next };
    if (h.value !== undefined) rec.value = h.value;
    if (h.length !== undefined) {
      rec.length = h.length;
      if (h.next + h.length > size) return undefined;
    }
    out.push(rec);
    pos = h.wire === 1 ? h.next + 8 : h.wire === 5 ? h.next + 4 : h.next + (h.length ?? 0);
  }
  return out;
}

/** The offset a PARSE_ERROR from this reader points at (from its cause), else undefined. */
export function errorOffset(err: unknown): number | undefined {
  if (!(err instanceof BulwarkError)) return undefined;
  const cause: unknown = err.cause;
  if (typeof cause === 'object' && cause !== null && 'offset' in cause && typeof cause.offset === 'number') return cause.offset;
  return undefined;
}
