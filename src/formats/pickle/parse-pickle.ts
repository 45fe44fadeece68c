/**
 * Pickle parsing: the async driver around the symbolic machine in vm.ts. It reads the source in
 * large windows (the machine runs synchronously over each), follows streams appended after STOP,
 * joblib's inline arrays and pickles nested in bytes passed to `pickle.loads`, and enforces every
 * limit. Nothing is ever unpickled or executed.
 */
import { BulwarkError } from '../../errors.js';
import type { ByteSource } from '../../io/byte-source.js';
import type { Limits } from '../../io/limits.js';
import type { PickleFacts, PickleStream, StreamOrigin } from './facts.js';
import { joblibLayout } from './joblib.js';
import { OPCODE_BY_CODE, OPCODE_BY_NAME } from './opcodes.js';
import type { BytesValue } from './values.js';
import { createVm, noteAnomaly, runVm, SIG_CHECK, SIG_ERROR, SIG_NEED, SIG_PENDING, SIG_STOP, type Vm, type Window } from './vm.js';

/** Options of {@link parsePickle}. */
export interface ParsePickleOptions {
  limits: Limits;
  /** Aborting makes the parse throw BulwarkError('ABORTED'). */
  signal?: AbortSignal;
  /** Offset of the first opcode (default 0). */
  start?: number;
  /** Clock in milliseconds for `limits.timeoutMs` (default `Date.now`). */
  now?: () => number;
}

/** Bytes read per window: large, so the synchronous loop rarely yields to I/O. */
const WINDOW_BYTES = 8 << 20;
/** Bytes a trial parse of a protocol 0/1 candidate may read. */
const TRIAL_BYTES = 64 << 10;
/** Pickles nested in bytes inside pickles nested in bytes...: followed this deep. */
const MAX_NESTING = 8;

interface Reader {
  src: ByteSource;
  win: Window;
  /** Bytes fetched per refill: large for parsing, small for a trial parse that reads only a head. */
  windowBytes: number;
}

interface Ctx {
  facts: PickleFacts;
  limits: Limits;
  signal: AbortSignal | undefined;
  now: () => number;
  deadline: number;
  /** Opcode bytes left under limits.maxPickleBytes. */
  bytesLeft: number;
  /** Set when parsing must end everywhere (a limit was hit). */
  stopped: boolean;
}

const EMPTY = new Uint8Array(0);

function emptyWindow(): Window {
  return { buf: EMPTY, view: new DataView(EMPTY.buffer), base: 0 };
}

function newReader(src: ByteSource, windowBytes = WINDOW_BYTES): Reader {
  return { src, win: emptyWindow(), windowBytes };
}

function checkAbort(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw new BulwarkError('ABORTED', 'pickle parsing was aborted', { cause: signal.reason });
}

/** Makes `r.win` start at `at` with at least `min` bytes (fewer only at the end of the source). */
async function fill(r: Reader, at: number, min: number, signal: AbortSignal | undefined): Promise<void> {
  checkAbort(signal);
  const len = Math.max(0, Math.min(Math.max(r.windowBytes, min), r.src.size - at));
  const buf = len === 0 ? EMPTY : await r.src.read(at, len);
  r.win = { buf, view: new DataView(buf.buffer, buf.byteOffset, buf.byteLength), base: at };
}

function covers(w: Window, at: number, n: number): boolean {
  return w.base <= at && at + n <= w.base + w.buf.length;
}

async function readAt(r: Reader, at: number, n: number, signal: AbortSignal | undefined): Promise<Uint8Array> {
  if (!covers(r.win, at, n)) await fill(r, at, n, signal);
  const o = at - r.win.base;
  return r.win.buf.subarray(Math.max(0, o), Math.max(0, o + n));
}

function newStream(origin: StreamOrigin, start: number): PickleStream {
  return {
    origin,
    start,
    end: start,
    protocol: 0,
    opcodeCount: 0,
    complete: false,
    globals: [],
    invocations: [],
    dynamicImports: [],
    persistentIds: 0,
  };
}

function hitLimit(ctx: Ctx, limit: string, offset: number): void {
  ctx.facts.limitHit ??= { limit, offset };
  ctx.stopped = true;
}

/**
 * Runs one stream to its end. `limit` is the absolute end of the bytes it may read. With `trial`,
 * nothing is recorded in `ctx.facts` (used to sniff protocol 0/1 candidates).
 */
async function runStream(ctx: Ctx, r: Reader, stream: PickleStream, limit: number, depth: number, trial: boolean): Promise<void> {
  const vm = createVm(stream, ctx.limits, Math.min(limit, r.src.size), stream.start + ctx.bytesLeft, trial);
  let skipped = 0;
  for (;;) {
    if (vm.pos < r.win.base || vm.pos > r.win.base + r.win.buf.length) await fill(r, vm.pos, 16, ctx.signal);
    const sig = runVm(vm, r.win);
    if (sig === SIG_STOP || sig === SIG_ERROR) break;
    if (sig === SIG_NEED) {
      const before = r.win;
      await fill(r, vm.pos, vm.needBytes, ctx.signal);
      // A source that returns fewer bytes than its size promised: end the region there.
      if (r.win.buf.length < vm.needBytes && r.win.base + r.win.buf.length < vm.limit) vm.limit = r.win.base + r.win.buf.length;
      if (before.base === r.win.base && before.buf.length === r.win.buf.length && before.buf.length >= vm.needBytes) {
        stream.error = { offset: vm.pos, kind: 'truncated', message: 'the source returned no more bytes' };
        break;
      }
      continue;
    }
    if (sig === SIG_CHECK) {
      checkAbort(ctx.signal);
      if (ctx.now() > ctx.deadline) {
        stream.error = { offset: vm.pos, kind: 'limit', message: `time limit (${ctx.limits.timeoutMs} ms) reached` };
        vm.limitName = 'timeoutMs';
        break;
      }
      continue;
    }
    if (sig === SIG_PENDING) {
      const moved = await runPending(ctx, r, vm, depth, trial);
      skipped += moved;
      if (stream.error === undefined && ctx.stopped) {
        stream.error = { offset: vm.pos, kind: 'limit', message: 'a limit was reached in a nested pickle' };
      }
      if (stream.error !== undefined) break;
      continue;
    }
  }
  vm.pending = undefined;
  stream.end = stream.error === undefined ? vm.pos : stream.error.offset;
  if (vm.limitName !== undefined && !trial) hitLimit(ctx, vm.limitName, stream.error?.offset ?? vm.pos);
  if (!trial) ctx.bytesLeft = Math.max(0, ctx.bytesLeft - Math.max(0, stream.end - stream.start - skipped));
}

/** Does the joblib/nested work the VM asked for; returns the raw bytes skipped (not opcodes). */
async function runPending(ctx: Ctx, r: Reader, vm: Vm, depth: number, trial: boolean): Promise<number> {
  const pending = vm.pending;
  vm.pending = undefined;
  if (pending === undefined || trial) return 0;
  const stream = vm.stream;
  switch (pending.kind) {
    case 'nested':
      await parseNested(ctx, r, stream, pending.payload, depth);
      return 0;
    case 'joblib': {
      const layout = joblibLayout(pending.wrapper.state);
      const at = vm.pos;
      if (typeof layout === 'string') {
        stream.error = { offset: at, kind: 'malformed', message: `${layout}, so the array data after BUILD at ${pending.buildOffset} cannot be skipped` };
        return 0;
      }
      if (layout.kind === 'object') {
        if (ctx.facts.streams.length >= ctx.limits.maxStreams) {
          hitLimit(ctx, 'maxStreams', at);
          stream.error = { offset: at, kind: 'limit', message: `stream limit (${ctx.limits.maxStreams}) reached at a joblib inline pickle` };
          return 0;
        }
        const inline = newStream('joblib-inline', at);
        ctx.facts.streams.push(inline);
        await runStream(ctx, r, inline, vm.limit, depth, false);
        ctx.facts.joblibArrays.push({ offset: at, bytes: inline.end - at, dtype: layout.dtype });
        if (!inline.complete) {
          if (!ctx.stopped) stream.error = { offset: at, kind: 'malformed', message: 'the joblib inline pickle of an object array does not end with STOP' };
          else stream.error = { offset: at, kind: 'limit', message: 'a limit stopped the joblib inline pickle' };
          return 0;
        }
        vm.pos = inline.end;
      } else {
        let data = at;
        if (layout.padded) {
          if (at >= vm.limit) {
            stream.error = { offset: at, kind: 'truncated', message: 'expected the joblib padding-length byte after BUILD' };
            return 0;
          }
          const pad = (await readAt(r, at, 1, ctx.signal))[0] ?? 0;
          data = at + 1 + pad;
        }
        if (data + layout.bytes > vm.limit) {
          stream.error = { offset: at, kind: 'truncated', message: `expected ${layout.bytes} bytes of joblib array data (${layout.dtype}) after BUILD` };
          return 0;
        }
        ctx.facts.joblibArrays.push({ offset: data, bytes: layout.bytes, dtype: layout.dtype });
        vm.pos = data + layout.bytes;
      }
      // joblib replaces the wrapper on the stack with the array it read.
      const skipped = vm.pos - at;
      vm.byteEnd += skipped;
      vm.stack[vm.stack.length - 1] = { k: 'array', dtype: layout.dtype };
      return skipped;
    }
    default: {
      const never: never = pending;
      return never;
    }
  }
}

/**
 * Parses a bytes constant passed to a loads-like call. When the bytes sit verbatim in the source
 * (binary opcodes), the nested stream is parsed in place: its offsets are real offsets in the
 * source and `start` is the payload's first byte. Bytes that do not sit verbatim in the source (a
 * protocol 0 STRING with escapes, or `_codecs.encode(s, 'latin1')` as protocols 0-2 write bytes)
 * are parsed from memory and have no exact place in the source: every offset in those streams
 * (start, end, imports, calls, errors) is the offset of the opcode that produced the bytes (STRING,
 * or the REDUCE of `_codecs.encode`), so a finding points at the payload that holds them.
 */
async function parseNested(ctx: Ctx, r: Reader, parent: PickleStream, payload: BytesValue, depth: number): Promise<void> {
  if (depth >= MAX_NESTING) {
    noteAnomaly(parent, payload.op, `pickle nested ${depth} levels deep not followed`);
    return;
  }
  if (ctx.facts.streams.length >= ctx.limits.maxStreams) {
    hitLimit(ctx, 'maxStreams', payload.op);
    return;
  }
  if (payload.at !== undefined) {
    const nested = newStream('nested-bytes', payload.at);
    ctx.facts.streams.push(nested);
    await runStream(ctx, r, nested, payload.at + payload.length, depth + 1, false);
    return;
  }
  const data = payload.data;
  if (data === undefined) {
    noteAnomaly(parent, payload.op, 'bytes passed to a loads call were too long to keep');
    return;
  }
  const shift = payload.op;
  const virtual: ByteSource = {
    uri: r.src.uri,
    size: shift + data.length,
    read(offset: number, length: number): Promise<Uint8Array> {
      const o = Math.max(0, offset - shift);
      return Promise.resolve(data.subarray(o, Math.min(data.length, o + Math.max(0, length))));
    },
  };
  const nested = newStream('nested-bytes', shift);
  const firstStream = ctx.facts.streams.length;
  const firstArray = ctx.facts.joblibArrays.length;
  ctx.facts.streams.push(nested);
  await runStream(ctx, newReader(virtual), nested, shift + data.length, depth + 1, false);
  for (const s of ctx.facts.streams.slice(firstStream)) relocate(s, payload.op);
  for (const a of ctx.facts.joblibArrays.slice(firstArray)) a.offset = payload.op;
  if (ctx.facts.limitHit !== undefined && ctx.facts.limitHit.offset >= r.src.size) ctx.facts.limitHit.offset = payload.op;
}

/** Pins every offset of a stream parsed from decoded bytes to the opcode that produced them. */
function relocate(s: PickleStream, offset: number): void {
  s.start = offset;
  s.end = offset;
  for (const g of s.globals) g.offset = offset;
  for (const i of s.invocations) {
    i.offset = offset;
    if (i.callable.kind === 'global') i.callable.importOffset = offset;
  }
  for (const d of s.dynamicImports) d.offset = offset;
  for (const a of s.anomalies ?? []) a.offset = offset;
  if (s.error !== undefined) s.error.offset = offset;
}

/** Opcodes that can begin a protocol 0/1 pickle (no PROTO): pushes that need nothing below them. */
const PROTO01_STARTERS: ReadonlySet<number> = new Set(
  (
    [
      'MARK', 'EMPTY_LIST', 'EMPTY_DICT', 'EMPTY_TUPLE', 'GLOBAL', 'INT', 'BININT', 'BININT1', 'BININT2', 'LONG', 'FLOAT',
      'BINFLOAT', 'STRING', 'BINSTRING', 'SHORT_BINSTRING', 'UNICODE', 'BINUNICODE', 'NONE', 'PERSID',
    ] as const
  ).map((n) => OPCODE_BY_NAME[n].code),
);

/**
 * True for a plausible pickle start: PROTO 2..5 followed by a valid opcode, or a byte that can begin
 * a protocol 0/1 pickle. The second case also matches much text: confirm it with
 * {@link looksLikeProtocol01Pickle} before treating a file as a pickle.
 */
export function sniffPickle(head: Uint8Array): boolean {
  const b0 = head[0];
  if (b0 === undefined) return false;
  if (b0 === 0x80) {
    const proto = head[1];
    const next = head[2];
    return proto !== undefined && proto >= 2 && proto <= 5 && next !== undefined && OPCODE_BY_CODE[next] !== undefined;
  }
  return PROTO01_STARTERS.has(b0);
}

function isProtoHeader(head: Uint8Array): boolean {
  return head[0] === 0x80 && sniffPickle(head);
}

function newCtx(limits: Limits, signal: AbortSignal | undefined, now: () => number): Ctx {
  return {
    facts: { kind: 'pickle', streams: [], joblibArrays: [], trailingBytes: 0, opcodeCount: 0 },
    limits,
    signal,
    now,
    deadline: now() + limits.timeoutMs,
    bytesLeft: limits.maxPickleBytes,
    stopped: false,
  };
}

/** A bounded trial parse at `at`: true when it reaches STOP cleanly with at least 2 opcodes. */
async function trialParse(r: Reader, at: number, limits: Limits, signal: AbortSignal | undefined): Promise<boolean> {
  const ctx = newCtx(limits, signal, Date.now);
  const s = newStream('primary', at);
  await runStream(ctx, r, s, at + TRIAL_BYTES, 0, true);
  return s.complete && s.error === undefined && s.opcodeCount >= 2;
}

/**
 * True when `src` starts with a protocol 0/1 pickle: a trial parse of its first 64 KiB reaches STOP
 * cleanly after at least 2 opcodes. Use it after {@link sniffPickle} so text files are not taken
 * for pickles.
 */
export async function looksLikeProtocol01Pickle(src: ByteSource, limits: Limits): Promise<boolean> {
  // Called on every file nothing else recognised: read the 64 KiB it needs, not a parsing window.
  const r = newReader(src, TRIAL_BYTES);
  const head = await readAt(r, 0, 1, undefined);
  if (head.length === 0 || !sniffPickle(head)) return false;
  return trialParse(r, 0, limits, undefined);
}

/**
 * Parses every pickle stream in `src` from `opts.start` and returns the facts: imports, invocations,
 * dynamic imports, errors, appended streams, joblib arrays and nested pickles. Never throws for bad
 * input (a malformed or truncated stream records `error` and keeps what came before); throws
 * BulwarkError('ABORTED') when `opts.signal` aborts.
 */
export async function parsePickle(src: ByteSource, opts: ParsePickleOptions): Promise<PickleFacts> {
  const ctx = newCtx(opts.limits, opts.signal, opts.now ?? Date.now);
  checkAbort(ctx.signal);
  const facts = ctx.facts;
  const r = newReader(src);
  let pos = Math.max(0, Math.min(opts.start ?? 0, src.size));
  let origin: StreamOrigin = 'primary';
  for (;;) {
    if (origin === 'appended') {
      if (pos >= src.size) break;
      const head = await readAt(r, pos, 3, ctx.signal);
      const plausible = isProtoHeader(head) || (head[0] !== undefined && PROTO01_STARTERS.has(head[0]) && (await trialParse(r, pos, ctx.limits, ctx.signal)));
      if (!plausible) {
        facts.trailingBytes = src.size - pos;
        break;
      }
      if (facts.streams.length >= ctx.limits.maxStreams) {
        hitLimit(ctx, 'maxStreams', pos);
        break;
      }
      if (ctx.now() > ctx.deadline) {
        hitLimit(ctx, 'timeoutMs', pos);
        break;
      }
    }
    const stream = newStream(origin, pos);
    facts.streams.push(stream);
    await runStream(ctx, r, stream, src.size, 0, false);
    if (!stream.complete || ctx.stopped) break;
    pos = stream.end;
    origin = 'appended';
  }
  facts.opcodeCount = facts.streams.reduce((n, s) => n + s.opcodeCount, 0);
  return facts;
}
