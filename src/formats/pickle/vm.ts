/**
 * The synchronous heart of the pickle parser: a symbolic pickle machine that runs opcodes over one
 * in-memory window of the source and records what the unpickler would import and call. It never
 * awaits: when it needs more bytes, a time check, or a nested parse, it returns a signal and the
 * async driver (parse-pickle.ts) acts and calls it again. Semantics follow CPython's `Modules/_pickle.c`
 * (the C unpickler `pickle.load` uses): MARK is a fence, popping below it is a stack underflow.
 */
import type { Limits } from '../../io/limits.js';
import { mapPython2Name } from './compat-names.js';
import {
  decodeLatin1,
  decodeLong,
  decodeUtf8,
  decodeUtf8Prefix,
  escapeDecode,
  isAscii,
  parsePyFloat,
  parsePyInt,
  rawUnicodeEscapeDecode,
} from './decode.js';
import type { CallableRef, ImportOpcode, InvokeOpcode, PickleStream, StreamError } from './facts.js';
import { HIGHEST_PROTOCOL, OPCODE_BY_CODE } from './opcodes.js';
import {
  type BytesValue,
  callableOf,
  depthOf,
  FALSE,
  intValue,
  MAX_KEPT_BYTES,
  MAX_KEPT_CHARS,
  MAX_KEPT_ENTRIES,
  MAX_KEPT_ITEMS,
  NONE,
  renderValue,
  TRUE,
  tupleValue,
  type Value,
} from './values.js';

/** The run ended at STOP (`stream.complete`). */
export const SIG_STOP = 0;
/** More bytes are needed at `vm.pos` (at least `vm.needBytes`). */
export const SIG_NEED = 1;
/** The stream ended with `stream.error` (a limit sets `vm.limitName` too). */
export const SIG_ERROR = 2;
/** A slice of opcodes ran: check the clock and the abort signal, then call again. */
export const SIG_CHECK = 3;
/** `vm.pending` asks the driver for a joblib array or a nested pickle; then call again. */
export const SIG_PENDING = 4;

/** Opcodes between clock checks. */
const CHECK_EVERY = 1 << 16;
/** Payloads up to this size are brought whole into the window (so they can be decoded). */
const MAX_IN_WINDOW = 1 << 20;
/** Bytes of a skipped payload brought into the window for its prefix. */
const PREFIX_WANT = 4 * MAX_KEPT_CHARS;
/** Longest text argument line (protocol 0) followed. */
const MAX_LINE = 64 << 20;
/** Globals/invocations recorded per stream before only new names are kept. */
const MAX_RECORDED = 100_000;
const MAX_ANOMALIES = 100;

/** A window of the source: `buf[0]` is at absolute offset `base`. */
export interface Window {
  buf: Uint8Array;
  view: DataView;
  base: number;
}

/** Work the VM hands to the async driver. */
export type Pending =
  /** BUILD ran on a joblib NumpyArrayWrapper; its array bytes follow at `vm.pos`. */
  | { kind: 'joblib'; buildOffset: number; wrapper: Extract<Value, { k: 'call' }> }
  /** A loads-like call got a bytes constant: parse it as a nested pickle. */
  | { kind: 'nested'; callOffset: number; payload: BytesValue };

/** The state of one stream's symbolic machine. */
export interface Vm {
  readonly stream: PickleStream;
  readonly limits: Limits;
  /** True for a trial parse (sniffing protocol 0/1): no nested/joblib work is requested. */
  readonly trial: boolean;
  stack: Value[];
  marks: number[];
  memo: Map<number, Value>;
  /** Absolute offset of the next opcode. */
  pos: number;
  /** Absolute end of the bytes this stream may read. */
  limit: number;
  /** Absolute offset at which the maxPickleBytes budget runs out. */
  byteEnd: number;
  needBytes: number;
  pending: Pending | undefined;
  limitName: string | undefined;
  seenGlobals: Set<string>;
  seenCalls: Set<string>;
}

/** A fresh machine for a stream starting at `stream.start`. */
export function createVm(stream: PickleStream, limits: Limits, limit: number, byteEnd: number, trial: boolean): Vm {
  return {
    stream,
    limits,
    trial,
    stack: [],
    marks: [],
    memo: new Map(),
    pos: stream.start,
    limit,
    byteEnd,
    needBytes: 0,
    pending: undefined,
    limitName: undefined,
    seenGlobals: new Set(),
    seenCalls: new Set(),
  };
}

function opName(op: number): string {
  return OPCODE_BY_CODE[op]?.name ?? `0x${op.toString(16).padStart(2, '0')}`;
}

function fail(vm: Vm, offset: number, kind: StreamError['kind'], message: string, count: number): number {
  vm.stream.error = { offset, kind, message };
  vm.stream.opcodeCount = count;
  vm.pos = offset;
  return SIG_ERROR;
}

function limitFail(vm: Vm, offset: number, limit: string, message: string, count: number): number {
  vm.limitName = limit;
  return fail(vm, offset, 'limit', message, count);
}

function depthLimit(vm: Vm, offset: number, count: number): number {
  return limitFail(vm, offset, 'maxDepth', `value nesting limit (${vm.limits.maxDepth}) reached`, count);
}

function memoLimit(vm: Vm, offset: number, count: number): number {
  return limitFail(vm, offset, 'maxMemo', `memo limit (${vm.limits.maxMemo}) reached`, count);
}

/** True when storing memo key `idx` would exceed `limits.maxMemo` (overwriting a key never does). */
function memoFull(vm: Vm, idx: number): boolean {
  return !vm.memo.has(idx) && vm.memo.size >= vm.limits.maxMemo;
}

/** The stack index below which the innermost MARK fences (0 when there is no MARK). */
function topMark(marks: readonly number[]): number {
  return marks.length > 0 ? (marks[marks.length - 1] as number) : 0;
}

/** Pops the innermost MARK and returns the new fence. */
function popMark(marks: number[]): number {
  marks.pop();
  return topMark(marks);
}

/** Records an oddity that CPython would raise on but that does not stop the scan. */
export function noteAnomaly(stream: PickleStream, offset: number, message: string): void {
  const list = (stream.anomalies ??= []);
  if (list.length < MAX_ANOMALIES) list.push({ offset, message });
}

function omit(stream: PickleStream, what: 'globals' | 'invocations'): void {
  const o = (stream.omitted ??= { globals: 0, invocations: 0 });
  o[what] += 1;
}

function recordGlobal(vm: Vm, rawModule: string, rawName: string, offset: number, opcode: ImportOpcode): Value {
  const m = mapPython2Name(rawModule, rawName);
  const key = `${m.module}\u0000${m.name}`;
  const globals = vm.stream.globals;
  if (globals.length < MAX_RECORDED || !vm.seenGlobals.has(key)) {
    const g: PickleStream['globals'][number] = { module: m.module, name: m.name, offset, opcode };
    if (m.rawModule !== undefined) g.rawModule = m.rawModule;
    if (m.rawName !== undefined) g.rawName = m.rawName;
    globals.push(g);
    vm.seenGlobals.add(key);
  } else {
    omit(vm.stream, 'globals');
  }
  return { k: 'global', module: m.module, name: m.name, offset };
}

function callKey(c: CallableRef): string {
  switch (c.kind) {
    case 'global':
      return `g:${c.module}\u0000${c.name}`;
    case 'call-result':
      return `c:${c.via}`;
    case 'extension':
      return `e:${c.code}`;
    case 'other':
      return `o:${c.description}`;
    default: {
      const never: never = c;
      return never;
    }
  }
}

function recordCall(vm: Vm, opcode: InvokeOpcode, offset: number, callable: CallableRef, args: Value | undefined): void {
  const calls = vm.stream.invocations;
  const key = callKey(callable);
  if (calls.length < MAX_RECORDED || !vm.seenCalls.has(key)) {
    const inv: PickleStream['invocations'][number] = { opcode, offset, callable };
    if (args !== undefined) inv.argsPreview = renderValue(args);
    calls.push(inv);
    vm.seenCalls.add(key);
  } else {
    omit(vm.stream, 'invocations');
  }
}

/** The modules/names whose call with a bytes argument unpickles it (after Python 2 mapping). */
const NESTED_LOADS = new Set([
  'pickle\u0000loads',
  'pickle\u0000_loads',
  '_pickle\u0000loads',
  'dill\u0000loads',
  'dill._dill\u0000loads',
  'cloudpickle\u0000loads',
  'numpy.core.numeric\u0000loads',
  'joblib.numpy_pickle\u0000loads',
]);
/** The same loaders' file-reading variants, reached with `io.BytesIO(b'...')`. */
const NESTED_LOAD = new Set(['pickle\u0000load', 'pickle\u0000_load', '_pickle\u0000load', 'dill\u0000load', 'dill._dill\u0000load', 'cloudpickle\u0000load']);
const BYTES_IO = new Set(['io\u0000BytesIO', '_io\u0000BytesIO']);

/**
 * The bytes a value stands for: a bytes constant, a Python 2 str, or `_codecs.encode(s, 'latin1')`,
 * which is how protocols 0-2 write a Python 3 bytes object.
 */
function bytesOf(v: Value | undefined): BytesValue | undefined {
  if (v === undefined) return undefined;
  if (v.k === 'bytes') return v;
  if (v.k === 'str') return v.asBytes;
  if (v.k !== 'call' || v.fn.kind !== 'global' || v.fn.module !== '_codecs' || v.fn.name !== 'encode' || v.args.k !== 'tuple') return undefined;
  const [text, codec] = v.args.items;
  if (text?.k !== 'str' || text.cut || codec?.k !== 'str' || !LATIN1.has(codec.v.toLowerCase())) return undefined;
  const data = new Uint8Array(text.v.length);
  for (let i = 0; i < text.v.length; i++) {
    const c = text.v.charCodeAt(i);
    if (c > 0xff) return undefined;
    data[i] = c;
  }
  return { k: 'bytes', op: v.offset, length: data.length, at: undefined, data, prefix: copyPrefix(data) };
}

const LATIN1 = new Set(['latin1', 'latin-1', 'iso-8859-1', 'iso8859-1', 'l1']);

/** The bytes a REDUCE would unpickle, when `fn(args)` is a loads-like call on a kept constant. */
function nestedPayload(fn: Value, args: Value): BytesValue | undefined {
  if (fn.k !== 'global' || args.k !== 'tuple') return undefined;
  const key = `${fn.module}\u0000${fn.name}`;
  const first = args.items[0];
  if (NESTED_LOADS.has(key)) return bytesOf(first);
  if (NESTED_LOAD.has(key) && first?.k === 'call' && first.fn.kind === 'global' && BYTES_IO.has(`${first.fn.module}\u0000${first.fn.name}`)) {
    return first.args.k === 'tuple' ? bytesOf(first.args.items[0]) : undefined;
  }
  return undefined;
}

const WRAPPER_MODULES = new Set(['joblib.numpy_pickle', 'sklearn.externals.joblib.numpy_pickle']);

/** True for an object created from joblib's NumpyArrayWrapper (its BUILD is followed by array bytes). */
function isJoblibWrapper(v: Value): v is Extract<Value, { k: 'call' }> {
  return v.k === 'call' && v.fn.kind === 'global' && v.fn.name === 'NumpyArrayWrapper' && WRAPPER_MODULES.has(v.fn.module);
}

/** The callable BUILD invokes (`__setstate__` of the object's class, or a `__dict__` update). */
function buildCallable(inst: Value): CallableRef {
  switch (inst.k) {
    case 'call':
      return inst.fn;
    case 'global':
      return { kind: 'other', description: `state set on the imported object ${inst.module}.${inst.name} itself` };
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
    case 'ext':
    case 'pid':
    case 'dyn':
    case 'array':
    case 'buffer':
    case 'unknown':
      return { kind: 'other', description: `state set on ${renderValue(inst, 80)}` };
    default: {
      const never: never = inst;
      return never;
    }
  }
}

/** Operand kinds whose runtime type is only known at load time (a STACK_GLOBAL on them is dynamic). */
function isOpaque(v: Value): boolean {
  switch (v.k) {
    case 'call':
    case 'unknown':
    case 'pid':
    case 'ext':
    case 'dyn':
    case 'global':
    case 'array':
    case 'buffer':
      return true;
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
      return false;
    default: {
      const never: never = v;
      return never;
    }
  }
}

function copyPrefix(b: Uint8Array): Uint8Array {
  return b.slice(0, MAX_KEPT_BYTES);
}

function strValue(s: string, cut: boolean, asBytes: BytesValue | undefined): Value {
  return s.length > MAX_KEPT_CHARS ? { k: 'str', v: s.slice(0, MAX_KEPT_CHARS), cut: true, asBytes } : { k: 'str', v: s, cut, asBytes };
}

/**
 * Runs opcodes from `vm.pos` over `win` until STOP, an error, a need for bytes beyond the window,
 * a clock check, or work for the driver. The window must contain `vm.pos`.
 */
export function runVm(vm: Vm, win: Window): number {
  const buf = win.buf;
  const view = win.view;
  const base = win.base;
  const stream = vm.stream;
  const stack = vm.stack;
  const marks = vm.marks;
  const memo = vm.memo;
  const limits = vm.limits;
  const maxOps = limits.maxOpcodes;
  const maxStack = limits.maxStackItems;
  const maxDepth = limits.maxDepth;
  const winEnd = Math.min(buf.length, vm.limit - base);
  const atEof = base + buf.length >= vm.limit;
  let p = vm.pos - base;
  let count = stream.opcodeCount;
  let fence = topMark(marks);
  const checkAt = count + CHECK_EVERY;

  for (;;) {
    if (winEnd - p < 16 && !atEof) {
      vm.pos = base + p;
      stream.opcodeCount = count;
      vm.needBytes = 16;
      return SIG_NEED;
    }
    const opOff = base + p;
    if (p >= winEnd) return fail(vm, opOff, 'truncated', 'expected an opcode (or STOP) but the data ended', count);
    if (opOff >= vm.byteEnd) return limitFail(vm, opOff, 'maxPickleBytes', `pickle bytes limit (${limits.maxPickleBytes}) reached`, count);
    if (count >= maxOps) return limitFail(vm, opOff, 'maxOpcodes', `opcode limit (${maxOps}) reached`, count);
    if (stack.length > maxStack) return limitFail(vm, opOff, 'maxStackItems', `stack item limit (${maxStack}) reached`, count);
    if (count >= checkAt) {
      vm.pos = opOff;
      stream.opcodeCount = count;
      return SIG_CHECK;
    }
    const op = buf[p] as number;
    p++;
    // Length-prefixed payloads are handled after the switch: header size and payload length.
    let hlen = -1;
    let plen = 0;
    switch (op) {
      case 0x28: // MARK
        if (marks.length >= maxDepth) return limitFail(vm, opOff, 'maxDepth', `MARK nesting limit (${maxDepth}) reached`, count);
        marks.push(stack.length);
        fence = stack.length;
        break;
      case 0x2e: // STOP
        if (stack.length <= fence) return fail(vm, opOff, 'malformed', 'STOP needs a value on the stack (stack underflow)', count);
        stack.pop();
        stream.opcodeCount = count + 1;
        stream.complete = true;
        vm.pos = opOff + 1;
        return SIG_STOP;
      case 0x30: // POP
        if (stack.length > fence) stack.pop();
        else if (marks.length > 0) fence = popMark(marks);
        else return fail(vm, opOff, 'malformed', 'POP on an empty stack (stack underflow)', count);
        break;
      case 0x31: // POP_MARK
        if (marks.length === 0) return fail(vm, opOff, 'malformed', 'MARK not found for POP_MARK', count);
        stack.length = fence;
        fence = popMark(marks);
        break;
      case 0x32: // DUP
        if (stack.length <= fence) return fail(vm, opOff, 'malformed', 'DUP on an empty stack (stack underflow)', count);
        stack.push(stack[stack.length - 1] as Value);
        break;
      case 0x4e: // NONE
        stack.push(NONE);
        break;
      case 0x88: // NEWTRUE
        stack.push(TRUE);
        break;
      case 0x89: // NEWFALSE
        stack.push(FALSE);
        break;
      case 0x4b: // BININT1
        if (p + 1 > winEnd) return fail(vm, opOff, 'truncated', 'expected the 1-byte argument of BININT1', count);
        stack.push(intValue(buf[p] as number));
        p += 1;
        break;
      case 0x4d: // BININT2
        if (p + 2 > winEnd) return fail(vm, opOff, 'truncated', 'expected the 2-byte argument of BININT2', count);
        stack.push(intValue(view.getUint16(p, true)));
        p += 2;
        break;
      case 0x4a: // BININT
        if (p + 4 > winEnd) return fail(vm, opOff, 'truncated', 'expected the 4-byte argument of BININT', count);
        stack.push(intValue(view.getInt32(p, true)));
        p += 4;
        break;
      case 0x47: // BINFLOAT
        if (p + 8 > winEnd) return fail(vm, opOff, 'truncated', 'expected the 8-byte argument of BINFLOAT', count);
        stack.push({ k: 'float', v: view.getFloat64(p, false) });
        p += 8;
        break;
      case 0x5d: // EMPTY_LIST
        stack.push({ k: 'list', items: [], n: 0, d: 1 });
        break;
      case 0x7d: // EMPTY_DICT
        stack.push({ k: 'dict', entries: [], n: 0, d: 1 });
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push({ k: 'tuple', items: [], n: 0, d: 1 });
        break;
      case 0x8f: // EMPTY_SET
        stack.push({ k: 'set', n: 0, frozen: false });
        break;
      case 0x85: // TUPLE1
      case 0x86: // TUPLE2
      case 0x87: {
        // TUPLE3
        const n = op - 0x84;
        if (stack.length - fence < n) return fail(vm, opOff, 'malformed', `${opName(op)} needs ${n} items on the stack (stack underflow)`, count);
        const t = tupleValue(stack.splice(stack.length - n, n));
        if (depthOf(t) > maxDepth) return depthLimit(vm, opOff, count);
        stack.push(t);
        break;
      }
      case 0x74: // TUPLE
      case 0x6c: // LIST
      case 0x64: // DICT
      case 0x91: {
        // FROZENSET
        if (marks.length === 0) return fail(vm, opOff, 'malformed', `MARK not found for ${opName(op)}`, count);
        const items = stack.splice(fence);
        fence = popMark(marks);
        let v: Value;
        if (op === 0x74) v = tupleValue(items);
        else if (op === 0x6c) {
          const t = tupleValue(items);
          v = { k: 'list', items: t.k === 'tuple' ? t.items : [], n: items.length, d: depthOf(t) };
        } else if (op === 0x64) {
          if (items.length % 2 !== 0) return fail(vm, opOff, 'malformed', 'DICT needs an even number of items after MARK', count);
          const d: Extract<Value, { k: 'dict' }> = { k: 'dict', entries: [], n: 0, d: 1 };
          addEntries(d, items);
          v = d;
        } else v = { k: 'set', n: items.length, frozen: true };
        if (depthOf(v) > maxDepth) return depthLimit(vm, opOff, count);
        stack.push(v);
        break;
      }
      case 0x61: {
        // APPEND
        if (stack.length - fence < 2) return fail(vm, opOff, 'malformed', 'APPEND needs a list and a value (stack underflow)', count);
        const item = stack.pop() as Value;
        const target = stack[stack.length - 1] as Value;
        if (target.k === 'list') {
          if (target.items.length < MAX_KEPT_ITEMS) target.items.push(item);
          target.n += 1;
          const d = depthOf(item) + 1;
          if (d > target.d) target.d = d;
          if (d > maxDepth) return depthLimit(vm, opOff, count);
        }
        break;
      }
      case 0x65: // APPENDS
      case 0x90: // ADDITEMS
      case 0x75: {
        // SETITEMS
        if (marks.length === 0) return fail(vm, opOff, 'malformed', `MARK not found for ${opName(op)}`, count);
        const items = stack.splice(fence);
        fence = popMark(marks);
        if (stack.length <= fence) return fail(vm, opOff, 'malformed', `${opName(op)} needs a container below the MARK (stack underflow)`, count);
        const target = stack[stack.length - 1] as Value;
        if (op === 0x75) {
          if (items.length % 2 !== 0) return fail(vm, opOff, 'malformed', 'SETITEMS needs an even number of items after MARK', count);
          if (target.k === 'dict') addEntries(target, items);
        } else if (op === 0x65 && target.k === 'list') {
          for (const it of items) {
            if (target.items.length >= MAX_KEPT_ITEMS) break;
            target.items.push(it);
            const d = depthOf(it) + 1;
            if (d > target.d) target.d = d;
          }
          target.n += items.length;
        } else if (op === 0x90 && target.k === 'set') target.n += items.length;
        if (depthOf(target) > maxDepth) return depthLimit(vm, opOff, count);
        break;
      }
      case 0x73: {
        // SETITEM
        if (stack.length - fence < 3) return fail(vm, opOff, 'malformed', 'SETITEM needs a dict, a key and a value (stack underflow)', count);
        const value = stack.pop() as Value;
        const key = stack.pop() as Value;
        const target = stack[stack.length - 1] as Value;
        if (target.k === 'dict') {
          addEntries(target, [key, value]);
          if (target.d > maxDepth) return depthLimit(vm, opOff, count);
        }
        break;
      }
      case 0x68: // BINGET
      case 0x6a: {
        // LONG_BINGET
        const w = op === 0x68 ? 1 : 4;
        if (p + w > winEnd) return fail(vm, opOff, 'truncated', `expected the ${w}-byte argument of ${opName(op)}`, count);
        const idx = w === 1 ? (buf[p] as number) : view.getUint32(p, true);
        p += w;
        stack.push(memoGet(vm, idx, opOff));
        break;
      }
      case 0x71: // BINPUT
      case 0x72: {
        // LONG_BINPUT
        const w = op === 0x71 ? 1 : 4;
        if (p + w > winEnd) return fail(vm, opOff, 'truncated', `expected the ${w}-byte argument of ${opName(op)}`, count);
        const idx = w === 1 ? (buf[p] as number) : view.getUint32(p, true);
        p += w;
        if (stack.length <= fence) return fail(vm, opOff, 'malformed', `${opName(op)} on an empty stack (stack underflow)`, count);
        if (memoFull(vm, idx)) return memoLimit(vm, opOff, count);
        memo.set(idx, stack[stack.length - 1] as Value);
        break;
      }
      case 0x94: {
        // MEMOIZE: the key is the memo's current size, as in `memo[len(memo)] = stack[-1]`.
        if (stack.length <= fence) return fail(vm, opOff, 'malformed', 'MEMOIZE on an empty stack (stack underflow)', count);
        const idx = memo.size;
        if (memoFull(vm, idx)) return memoLimit(vm, opOff, count);
        memo.set(idx, stack[stack.length - 1] as Value);
        break;
      }
      case 0x80: {
        // PROTO
        if (p + 1 > winEnd) return fail(vm, opOff, 'truncated', 'expected the 1-byte argument of PROTO', count);
        const proto = buf[p] as number;
        p += 1;
        if (proto > HIGHEST_PROTOCOL) return fail(vm, opOff, 'malformed', `unsupported pickle protocol ${proto}`, count);
        if (stream.protocol === 0) stream.protocol = proto;
        break;
      }
      case 0x95: // FRAME: the frame length only helps buffering; opcodes are read the same inside.
        if (p + 8 > winEnd) return fail(vm, opOff, 'truncated', 'expected the 8-byte argument of FRAME', count);
        p += 8;
        break;
      case 0x82: // EXT1
      case 0x83: // EXT2
      case 0x84: {
        // EXT4
        const w = op === 0x82 ? 1 : op === 0x83 ? 2 : 4;
        if (p + w > winEnd) return fail(vm, opOff, 'truncated', `expected the ${w}-byte argument of ${opName(op)}`, count);
        const code = w === 1 ? (buf[p] as number) : w === 2 ? view.getUint16(p, true) : view.getInt32(p, true);
        p += w;
        if (code <= 0) noteAnomaly(stream, opOff, `${opName(op)} specifies code ${code} <= 0`);
        stack.push({ k: 'ext', code });
        break;
      }
      case 0x51: {
        // BINPERSID
        if (stack.length <= fence) return fail(vm, opOff, 'malformed', 'BINPERSID needs a persistent id on the stack (stack underflow)', count);
        const pid = stack.pop() as Value;
        stream.persistentIds += 1;
        stack.push({ k: 'pid', of: pid });
        break;
      }
      case 0x97: // NEXT_BUFFER
        stack.push({ k: 'buffer' });
        break;
      case 0x98: // READONLY_BUFFER
        if (stack.length <= fence) return fail(vm, opOff, 'malformed', 'READONLY_BUFFER on an empty stack (stack underflow)', count);
        break;
      case 0x93: {
        // STACK_GLOBAL
        if (stack.length - fence < 2) return fail(vm, opOff, 'malformed', 'STACK_GLOBAL needs a module and a name (stack underflow)', count);
        const name = stack.pop() as Value;
        const module = stack.pop() as Value;
        if (module.k === 'str' && name.k === 'str') {
          stack.push(recordGlobal(vm, module.v, name.v, opOff, 'STACK_GLOBAL'));
        } else if ((module.k === 'str' || isOpaque(module)) && (name.k === 'str' || isOpaque(name))) {
          const description = `module=${renderValue(module, 100)}, name=${renderValue(name, 100)}`;
          stream.dynamicImports.push({ offset: opOff, description });
          stack.push({ k: 'dyn', description });
        } else {
          return fail(vm, opOff, 'malformed', 'STACK_GLOBAL requires str operands', count);
        }
        break;
      }
      case 0x52: {
        // REDUCE
        if (stack.length - fence < 2) return fail(vm, opOff, 'malformed', 'REDUCE needs a callable and its arguments (stack underflow)', count);
        const args = stack.pop() as Value;
        const fn = stack.pop() as Value;
        const r = invoke(vm, 'REDUCE', opOff, fn, args);
        if (r === undefined) return depthLimit(vm, opOff, count);
        stack.push(r);
        if (!vm.trial) {
          const payload = nestedPayload(fn, args);
          if (payload !== undefined) {
            vm.pending = { kind: 'nested', callOffset: opOff, payload };
            vm.pos = base + p;
            stream.opcodeCount = count + 1;
            return SIG_PENDING;
          }
        }
        break;
      }
      case 0x81: // NEWOBJ
      case 0x92: {
        // NEWOBJ_EX
        const n = op === 0x81 ? 2 : 3;
        if (stack.length - fence < n) return fail(vm, opOff, 'malformed', `${opName(op)} needs ${n} items on the stack (stack underflow)`, count);
        const kwargs = n === 3 ? (stack.pop() as Value) : undefined;
        const args = stack.pop() as Value;
        const cls = stack.pop() as Value;
        const all = kwargs === undefined ? args : tupleValue([args, kwargs]);
        const r = invoke(vm, op === 0x81 ? 'NEWOBJ' : 'NEWOBJ_EX', opOff, cls, all);
        if (r === undefined) return depthLimit(vm, opOff, count);
        stack.push(r);
        break;
      }
      case 0x6f: {
        // OBJ
        if (marks.length === 0) return fail(vm, opOff, 'malformed', 'MARK not found for OBJ', count);
        const items = stack.splice(fence);
        fence = popMark(marks);
        const cls = items.shift();
        if (cls === undefined) return fail(vm, opOff, 'malformed', 'OBJ needs a class after MARK', count);
        const r = invoke(vm, 'OBJ', opOff, cls, tupleValue(items));
        if (r === undefined) return depthLimit(vm, opOff, count);
        stack.push(r);
        break;
      }
      case 0x62: {
        // BUILD
        if (stack.length - fence < 2) return fail(vm, opOff, 'malformed', 'BUILD needs an object and its state (stack underflow)', count);
        const state = stack.pop() as Value;
        const inst = stack[stack.length - 1] as Value;
        recordCall(vm, 'BUILD', opOff, buildCallable(inst), state);
        if (inst.k === 'call') {
          inst.state = state;
          const d = depthOf(state) + 1;
          if (d > inst.d) inst.d = d;
          if (d > maxDepth) return depthLimit(vm, opOff, count);
          if (!vm.trial && isJoblibWrapper(inst)) {
            vm.pending = { kind: 'joblib', buildOffset: opOff, wrapper: inst };
            vm.pos = base + p;
            stream.opcodeCount = count + 1;
            return SIG_PENDING;
          }
        }
        break;
      }
      // Length-prefixed payloads: read the length here, the payload after the switch.
      case 0x55: // SHORT_BINSTRING
      case 0x43: // SHORT_BINBYTES
      case 0x8c: // SHORT_BINUNICODE
      case 0x8a: // LONG1
        if (p + 1 > winEnd) return fail(vm, opOff, 'truncated', `expected the 1-byte length of ${opName(op)}`, count);
        hlen = 1;
        plen = buf[p] as number;
        break;
      case 0x54: // BINSTRING
      case 0x42: // BINBYTES
      case 0x58: // BINUNICODE
      case 0x8b: // LONG4
        if (p + 4 > winEnd) return fail(vm, opOff, 'truncated', `expected the 4-byte length of ${opName(op)}`, count);
        hlen = 4;
        if (op === 0x54 || op === 0x8b) {
          plen = view.getInt32(p, true);
          if (plen < 0) return fail(vm, opOff, 'malformed', `${opName(op)} has a negative byte count`, count);
        } else plen = view.getUint32(p, true);
        break;
      case 0x8e: // BINBYTES8
      case 0x8d: // BINUNICODE8
      case 0x96: // BYTEARRAY8
        if (p + 8 > winEnd) return fail(vm, opOff, 'truncated', `expected the 8-byte length of ${opName(op)}`, count);
        hlen = 8;
        plen = view.getUint32(p, true) + view.getUint32(p + 4, true) * 0x1_0000_0000;
        break;
      default: {
        // Text-argument opcodes (protocol 0) and unknown bytes.
        const code = OPCODE_BY_CODE[op];
        if (code === undefined) return fail(vm, opOff, 'malformed', `unknown opcode 0x${op.toString(16).padStart(2, '0')}`, count);
        const lines = code.arg === 'stringnl_noescape_pair' ? 2 : 1;
        const nl1 = buf.indexOf(0x0a, p);
        const nl2 = lines === 2 && nl1 >= 0 && nl1 < winEnd ? buf.indexOf(0x0a, nl1 + 1) : nl1;
        if (nl1 < 0 || nl1 >= winEnd || nl2 < 0 || nl2 >= winEnd) {
          if (atEof) return fail(vm, opOff, 'truncated', `expected a newline-terminated argument for ${code.name}`, count);
          const have = winEnd - (p - 1);
          if (have >= MAX_LINE) return limitFail(vm, opOff, 'maxLineBytes', `text argument of ${code.name} longer than ${MAX_LINE} bytes`, count);
          vm.pos = opOff;
          stream.opcodeCount = count;
          vm.needBytes = Math.min(MAX_LINE + 1, have * 2 + 64);
          return SIG_NEED;
        }
        const line = buf.subarray(p, nl1);
        const r = textOp(vm, op, opOff, line, lines === 2 ? buf.subarray(nl1 + 1, nl2) : undefined, fence);
        if (typeof r === 'string') return fail(vm, opOff, 'malformed', r, count);
        if (r === MEMO_FULL) return memoLimit(vm, opOff, count);
        if (r === TOO_DEEP) return depthLimit(vm, opOff, count);
        if (r === MARK_MISSING) return fail(vm, opOff, 'malformed', `MARK not found for ${code.name}`, count);
        if (r === POPPED_MARK) fence = topMark(marks);
        p = nl2 + 1;
        break;
      }
    }
    count++;
    if (hlen < 0) continue;

    // A length-prefixed payload: `q` is where its bytes start (relative to the window).
    const q = p + hlen;
    if (base + q + plen > vm.limit) {
      const left = Math.max(0, vm.limit - (base + q));
      return fail(vm, opOff, 'truncated', `expected ${plen} bytes of ${opName(op)} data but only ${left} remain`, count - 1);
    }
    const inWindow = q + plen <= winEnd;
    if (!inWindow && (plen <= MAX_IN_WINDOW || (winEnd - q < PREFIX_WANT && base < opOff))) {
      vm.pos = opOff;
      stream.opcodeCount = count - 1;
      vm.needBytes = 1 + hlen + Math.min(plen, plen <= MAX_IN_WINDOW ? plen : PREFIX_WANT);
      return SIG_NEED;
    }
    const avail = buf.subarray(q, Math.min(winEnd, q + plen));
    const v = payloadValue(op, opOff, base + q, plen, inWindow ? avail : undefined, avail);
    if (v === undefined) return fail(vm, opOff, 'malformed', `invalid UTF-8 in ${opName(op)}`, count - 1);
    stack.push(v);
    p = q + plen;
  }
}

const OK = 0;
const MARK_MISSING = 1;
const POPPED_MARK = 2;
const MEMO_FULL = 3;
const TOO_DEEP = 4;

function memoGet(vm: Vm, idx: number, offset: number): Value {
  const v = vm.memo.get(idx);
  if (v !== undefined) return v;
  // CPython raises here; the scan goes on with an unknown value so later opcodes are still seen.
  noteAnomaly(vm.stream, offset, `memo key ${idx} not found`);
  return { k: 'unknown', why: `missing memo key ${idx}` };
}

function addEntries(d: Extract<Value, { k: 'dict' }>, items: readonly Value[]): void {
  for (let i = 0; i + 1 < items.length; i += 2) {
    const key = items[i] as Value;
    const value = items[i + 1] as Value;
    if (d.entries.length < MAX_KEPT_ENTRIES) {
      d.entries.push([key, value]);
      const dd = Math.max(depthOf(key), depthOf(value)) + 1;
      if (dd > d.d) d.d = dd;
    }
    d.n += 1;
  }
}

/** Records an invocation and returns its result value, or undefined when it nests too deep. */
function invoke(vm: Vm, opcode: InvokeOpcode, offset: number, fn: Value, args: Value): Value | undefined {
  const callable = callableOf(fn);
  recordCall(vm, opcode, offset, callable, args);
  const d = depthOf(args) + 1;
  if (d > vm.limits.maxDepth) return undefined;
  return { k: 'call', fn: callable, args, state: undefined, d, offset };
}

/** The value of a length-prefixed payload opcode; undefined for invalid UTF-8. */
function payloadValue(op: number, opOff: number, at: number, length: number, whole: Uint8Array | undefined, avail: Uint8Array): Value | undefined {
  switch (op) {
    case 0x43: // SHORT_BINBYTES
    case 0x42: // BINBYTES
    case 0x8e: // BINBYTES8
    case 0x96: // BYTEARRAY8
      return { k: 'bytes', op: opOff, length, at, data: undefined, prefix: copyPrefix(avail) };
    case 0x8c: // SHORT_BINUNICODE
    case 0x58: // BINUNICODE
    case 0x8d: {
      // BINUNICODE8
      if (whole !== undefined && length <= MAX_IN_WINDOW) {
        const s = decodeUtf8(whole);
        return s === undefined ? undefined : strValue(s, false, undefined);
      }
      return strValue(decodeUtf8Prefix(avail.subarray(0, PREFIX_WANT)), true, undefined);
    }
    case 0x55: // SHORT_BINSTRING
    case 0x54: {
      // BINSTRING: a Python 2 str, read as Latin-1 text and kept as bytes too.
      const bytes: BytesValue = { k: 'bytes', op: opOff, length, at, data: undefined, prefix: copyPrefix(avail) };
      return strValue(decodeLatin1(avail.subarray(0, MAX_KEPT_CHARS)), length > MAX_KEPT_CHARS, bytes);
    }
    case 0x8a: // LONG1
    case 0x8b: // LONG4
      return intValue(whole !== undefined && length <= 64 ? decodeLong(whole) : NaN);
    default:
      return { k: 'unknown', why: `payload of ${opName(op)}` };
  }
}

function latin(b: Uint8Array): string {
  return decodeLatin1(b.subarray(0, 256));
}

/**
 * Text-argument opcodes (protocol 0): INT, LONG, FLOAT, STRING, UNICODE, GET, PUT, PERSID, GLOBAL,
 * INST. Returns OK, a status code, or a message where CPython would raise.
 */
function textOp(vm: Vm, op: number, offset: number, line: Uint8Array, line2: Uint8Array | undefined, fence: number): string | number {
  const stack = vm.stack;
  switch (op) {
    case 0x49: {
      // INT: `00`/`01` are the protocol 0 spellings of False/True.
      const t = latin(line);
      if (t === '00') stack.push(FALSE);
      else if (t === '01') stack.push(TRUE);
      else {
        const v = parsePyInt(t, false);
        if (v === undefined) return `INT argument is not an integer: ${JSON.stringify(t.slice(0, 40))}`;
        stack.push(intValue(v));
      }
      return OK;
    }
    case 0x4c: {
      // LONG
      const t = latin(line).replace(/L$/, '');
      const v = parsePyInt(t, false);
      if (v === undefined) return `LONG argument is not an integer: ${JSON.stringify(t.slice(0, 40))}`;
      stack.push(intValue(v));
      return OK;
    }
    case 0x46: {
      // FLOAT
      const v = parsePyFloat(latin(line));
      if (v === undefined) return 'FLOAT argument is not a float';
      stack.push({ k: 'float', v });
      return OK;
    }
    case 0x53: {
      // STRING: a quoted Python 2 literal.
      const q = line[0];
      if (line.length < 2 || (q !== 0x22 && q !== 0x27) || line[line.length - 1] !== q) return 'the STRING opcode argument must be quoted';
      const raw = escapeDecode(line.subarray(1, line.length - 1));
      if (raw === undefined) return 'invalid escape in STRING argument';
      const kept = raw.length <= MAX_IN_WINDOW ? raw.slice() : undefined;
      const bytes: BytesValue = { k: 'bytes', op: offset, length: raw.length, at: undefined, data: kept, prefix: copyPrefix(raw) };
      stack.push(strValue(decodeLatin1(raw.subarray(0, MAX_KEPT_CHARS)), raw.length > MAX_KEPT_CHARS, bytes));
      return OK;
    }
    case 0x56: {
      // UNICODE
      const s = rawUnicodeEscapeDecode(line.length > 4 * MAX_KEPT_CHARS + 16 ? line.subarray(0, 4 * MAX_KEPT_CHARS) : line);
      if (s === undefined) return 'invalid raw-unicode-escape in UNICODE argument';
      stack.push(strValue(s, line.length > 4 * MAX_KEPT_CHARS + 16, undefined));
      return OK;
    }
    case 0x67: {
      // GET
      const idx = parsePyInt(latin(line), true);
      if (idx === undefined) return 'GET argument is not an integer';
      stack.push(memoGet(vm, idx, offset));
      return OK;
    }
    case 0x70: {
      // PUT
      const idx = parsePyInt(latin(line), true);
      if (idx === undefined) return 'PUT argument is not an integer';
      if (idx < 0) return 'negative PUT argument';
      if (stack.length <= fence) return 'PUT on an empty stack (stack underflow)';
      if (memoFull(vm, idx)) return MEMO_FULL;
      vm.memo.set(idx, stack[stack.length - 1] as Value);
      return OK;
    }
    case 0x50: {
      // PERSID
      if (!isAscii(line)) return 'PERSID argument is not ASCII';
      vm.stream.persistentIds += 1;
      stack.push({ k: 'pid', of: strValue(latin(line), line.length > 256, undefined) });
      return OK;
    }
    case 0x63: // GLOBAL
    case 0x69: {
      // INST: the import happens before the MARK is looked for, so it is recorded either way.
      const module = decodeUtf8(line);
      const name = line2 === undefined ? undefined : decodeUtf8(line2);
      if (module === undefined || name === undefined) return `invalid UTF-8 in ${op === 0x63 ? 'GLOBAL' : 'INST'} module or name`;
      const g = recordGlobal(vm, module, name, offset, op === 0x63 ? 'GLOBAL' : 'INST');
      if (op === 0x63) {
        stack.push(g);
        return OK;
      }
      const marks = vm.marks;
      if (marks.length === 0) return MARK_MISSING;
      const items = stack.splice(fence);
      marks.pop();
      const r = invoke(vm, 'INST', offset, g, tupleValue(items));
      if (r === undefined) return TOO_DEEP;
      stack.push(r);
      return POPPED_MARK;
    }
    default:
      return `unknown opcode 0x${op.toString(16).padStart(2, '0')}`;
  }
}
