import { describe, expect, it } from 'vitest';
import { isBulwarkError } from '../../errors.js';
import { bufferSource, type ByteSource } from '../../io/byte-source.js';
import { DEFAULT_LIMITS, type Limits } from '../../io/limits.js';
import { assemblePickle, op, raw, type AsmPart } from './assemble.js';
import type { PickleFacts, PickleStream } from './facts.js';
import { looksLikeProtocol01Pickle, parsePickle, sniffPickle } from './parse-pickle.js';

const enc = new TextEncoder();

async function parse(parts: AsmPart[] | Uint8Array, limits: Partial<Limits> = {}, now?: () => number): Promise<PickleFacts> {
  const bytes = parts instanceof Uint8Array ? parts : assemblePickle(parts);
  const opts = now === undefined ? { limits: { ...DEFAULT_LIMITS, ...limits } } : { limits: { ...DEFAULT_LIMITS, ...limits }, now };
  return parsePickle(bufferSource(bytes, 't.pkl'), opts);
}

function first(f: PickleFacts): PickleStream {
  const s = f.streams[0];
  if (s === undefined) throw new Error('no stream');
  return s;
}

/** Byte offset of each part when assembled (opcode offsets in expectations). */
function offsets(parts: AsmPart[]): number[] {
  const out: number[] = [];
  let o = 0;
  for (const p of parts) {
    out.push(o);
    o += assemblePickle([p]).length;
  }
  return out;
}

const sbu = (s: string): AsmPart => op('SHORT_BINUNICODE', s);
const P4 = op('PROTO', 4);
const STOP = op('STOP');

describe('imports and invocations', () => {
  it('resolves GLOBAL + REDUCE with exact offsets and an argument preview', async () => {
    const parts = [op('PROTO', 2), op('GLOBAL', 'os', 'system'), sbu('echo hi'), op('TUPLE1'), op('REDUCE'), STOP];
    const at = offsets(parts);
    const s = first(await parse(parts));
    expect(s.complete).toBe(true);
    expect(s.protocol).toBe(2);
    expect(s.globals).toEqual([{ module: 'os', name: 'system', offset: at[1], opcode: 'GLOBAL' }]);
    expect(s.invocations).toEqual([
      { opcode: 'REDUCE', offset: at[4], callable: { kind: 'global', module: 'os', name: 'system', importOffset: at[1] }, argsPreview: "('echo hi',)" },
    ]);
  });

  it('resolves STACK_GLOBAL operands that come through BINGET, LONG_BINGET and MEMOIZE', async () => {
    const parts = [
      P4,
      sbu('builtins'), op('MEMOIZE'), op('POP'),
      sbu('eval'), op('LONG_BINPUT', 9), op('POP'),
      op('BINGET', 0), op('LONG_BINGET', 9), op('STACK_GLOBAL'), op('MEMOIZE'),
      // MEMOIZE keys by the memo's size (2 here: keys 0 and 9 exist), as CPython does.
      op('POP'), op('BINGET', 2), sbu('1+1'), op('TUPLE1'), op('REDUCE'), STOP,
    ];
    const at = offsets(parts);
    const s = first(await parse(parts));
    expect(s.error).toBeUndefined();
    expect(s.globals).toEqual([{ module: 'builtins', name: 'eval', offset: at[9], opcode: 'STACK_GLOBAL' }]);
    expect(s.invocations[0]?.callable).toEqual({ kind: 'global', module: 'builtins', name: 'eval', importOffset: at[9] });
    expect(s.invocations[0]?.offset).toBe(at[15]);
  });

  it('records INST, OBJ, NEWOBJ, NEWOBJ_EX and BUILD with the class as callable', async () => {
    const parts = [
      op('MARK'), sbu('x'), op('INST', 'collections', 'OrderedDict'),
      op('MARK'), op('GLOBAL', 'a', 'B'), op('BININT1', 1), op('OBJ'),
      op('GLOBAL', 'c', 'D'), op('EMPTY_TUPLE'), op('NEWOBJ'),
      op('GLOBAL', 'e', 'F'), op('EMPTY_TUPLE'), op('EMPTY_DICT'), op('NEWOBJ_EX'),
      op('EMPTY_DICT'), op('BUILD'),
      op('TUPLE3'), op('TUPLE2'), STOP,
    ];
    const at = offsets(parts);
    const s = first(await parse(parts));
    expect(s.error).toBeUndefined();
    expect(s.globals.map((g) => [g.opcode, `${g.module}.${g.name}`, g.offset])).toEqual([
      ['INST', 'collections.OrderedDict', at[2]],
      ['GLOBAL', 'a.B', at[4]],
      ['GLOBAL', 'c.D', at[7]],
      ['GLOBAL', 'e.F', at[10]],
    ]);
    expect(s.invocations.map((i) => [i.opcode, i.callable.kind === 'global' ? `${i.callable.module}.${i.callable.name}` : i.callable.kind, i.offset, i.argsPreview])).toEqual([
      ['INST', 'collections.OrderedDict', at[2], "('x',)"],
      ['OBJ', 'a.B', at[6], '(1,)'],
      ['NEWOBJ', 'c.D', at[9], '()'],
      ['NEWOBJ_EX', 'e.F', at[13], '((), {})'],
      ['BUILD', 'e.F', at[15], '{}'],
    ]);
  });

  it('resolves BUILD on an object that is not a call result to kind other', async () => {
    const s = first(await parse([op('EMPTY_LIST'), op('EMPTY_DICT'), op('BUILD'), STOP]));
    expect(s.invocations[0]?.callable.kind).toBe('other');
  });

  it('reports a STACK_GLOBAL with computed operands as a dynamic import and calls of it as other', async () => {
    const parts = [
      P4,
      op('GLOBAL', 'builtins', 'str'), sbu('o'), sbu('s'), op('TUPLE2'), op('REDUCE'),
      sbu('system'), op('STACK_GLOBAL'), sbu('id'), op('TUPLE1'), op('REDUCE'), STOP,
    ];
    const at = offsets(parts);
    const s = first(await parse(parts));
    expect(s.error).toBeUndefined();
    expect(s.dynamicImports).toEqual([{ offset: at[7], description: "module=<result of builtins.str(...)>, name='system'" }]);
    const call = s.invocations.find((i) => i.offset === at[10]);
    expect(call?.callable).toEqual({ kind: 'other', description: "dynamic import (module=<result of builtins.str(...)>, name='system')" });
  });

  it('treats STACK_GLOBAL on constant non-str operands as malformed', async () => {
    const s = first(await parse([P4, op('BININT1', 1), sbu('x'), op('STACK_GLOBAL'), STOP]));
    expect(s.error?.kind).toBe('malformed');
    expect(s.error?.message).toContain('STACK_GLOBAL requires str');
  });

  it('resolves EXT1/EXT2/EXT4 calls to extension codes', async () => {
    const s = first(await parse([op('EXT1', 5), op('EMPTY_TUPLE'), op('REDUCE'), op('EXT2', 300), op('EMPTY_TUPLE'), op('NEWOBJ'), op('EXT4', 70000), op('EMPTY_TUPLE'), op('REDUCE'), op('TUPLE3'), STOP]));
    expect(s.invocations.map((i) => i.callable)).toEqual([
      { kind: 'extension', code: 5 },
      { kind: 'extension', code: 300 },
      { kind: 'extension', code: 70000 },
    ]);
  });

  it('describes a call whose callable is itself a call result (getattr(...)(...))', async () => {
    const parts = [
      op('GLOBAL', 'builtins', 'getattr'), op('GLOBAL', 'os', 'path'), sbu('system'), op('TUPLE2'), op('REDUCE'),
      sbu('id'), op('TUPLE1'), op('REDUCE'), STOP,
    ];
    const at = offsets(parts);
    const s = first(await parse(parts));
    expect(s.invocations[1]).toEqual({ opcode: 'REDUCE', offset: at[7], callable: { kind: 'call-result', via: 'builtins.getattr(...)' }, argsPreview: "('id',)" });
  });

  it('applies the Python 2 -> 3 name mapping and keeps the raw spelling', async () => {
    const s = first(
      await parse([
        op('GLOBAL', '__builtin__', 'eval'), op('GLOBAL', 'exceptions', 'ValueError'), op('GLOBAL', '__builtin__', 'xrange'),
        op('GLOBAL', 'copy_reg', '_reconstructor'), op('GLOBAL', 'cPickle', 'loads'), op('GLOBAL', 'os', 'system'),
        op('MARK'), op('TUPLE'), STOP,
      ]),
    );
    expect(s.globals.map(({ module, name, rawModule, rawName }) => ({ module, name, rawModule, rawName }))).toEqual([
      { module: 'builtins', name: 'eval', rawModule: '__builtin__', rawName: undefined },
      { module: 'builtins', name: 'ValueError', rawModule: 'exceptions', rawName: undefined },
      { module: 'builtins', name: 'range', rawModule: '__builtin__', rawName: 'xrange' },
      { module: 'copyreg', name: '_reconstructor', rawModule: 'copy_reg', rawName: undefined },
      { module: 'pickle', name: 'loads', rawModule: 'cPickle', rawName: undefined },
      { module: 'os', name: 'system', rawModule: undefined, rawName: undefined },
    ]);
    expect('rawModule' in (s.globals[5] ?? {})).toBe(false);
  });

  it('counts persistent ids', async () => {
    const s = first(await parse([op('PERSID', '0'), op('BININT1', 1), op('BINPERSID'), op('TUPLE2'), STOP]));
    expect(s.persistentIds).toBe(2);
  });
});

describe('streams, trailing bytes and broken input', () => {
  it('parses a pickle appended after STOP', async () => {
    const a = [op('PROTO', 2), op('NONE'), STOP];
    const b = [op('PROTO', 4), op('GLOBAL', 'os', 'system'), STOP];
    const facts = await parse([...a, ...b]);
    expect(facts.streams.map((s) => [s.origin, s.start, s.complete])).toEqual([
      ['primary', 0, true],
      ['appended', assemblePickle(a).length, true],
    ]);
    expect(facts.streams[1]?.globals[0]?.offset).toBe(assemblePickle(a).length + 2);
    expect(facts.trailingBytes).toBe(0);
  });

  it('parses an appended protocol 0 pickle only when a trial parse reaches STOP', async () => {
    const facts = await parse([op('NONE'), STOP, op('GLOBAL', 'os', 'system'), STOP]);
    expect(facts.streams).toHaveLength(2);
    const text = await parse([op('NONE'), STOP, raw('Ceci n\'est pas une pipe.\n')]);
    expect(text.streams).toHaveLength(1);
    expect(text.trailingBytes).toBe(25);
  });

  it('reports raw bytes after a PyTorch-legacy-like sequence of pickles as trailing bytes', async () => {
    const pk = [op('PROTO', 2), op('LONG1', 0x1950a86a20f9469cfc6cn), STOP, op('PROTO', 2), op('BININT2', 1001), STOP, op('PROTO', 2), op('EMPTY_DICT'), STOP];
    const storage = raw(new Uint8Array([0x10, 0, 0, 0, 0, 0, 0, 0, ...new Array<number>(64).fill(0x3f)]));
    const facts = await parse([...pk, storage]);
    expect(facts.streams).toHaveLength(3);
    expect(facts.streams.every((s) => s.complete && s.error === undefined)).toBe(true);
    expect(facts.trailingBytes).toBe(72);
    expect(facts.opcodeCount).toBe(9);
  });

  it('keeps globals and calls seen before a truncation', async () => {
    const parts = [op('PROTO', 2), op('GLOBAL', 'os', 'system'), sbu('id'), op('TUPLE1'), op('REDUCE'), raw([0x58, 0xff, 0, 0, 0, 0x41])];
    const at = offsets(parts);
    const s = first(await parse(parts));
    expect(s.complete).toBe(false);
    expect(s.error).toEqual({ offset: at[5], kind: 'truncated', message: 'expected 255 bytes of BINUNICODE data but only 1 remain' });
    expect(s.globals).toHaveLength(1);
    expect(s.invocations).toHaveLength(1);
    expect(s.opcodeCount).toBe(5);
  });

  it('reports a missing STOP as truncated', async () => {
    const s = first(await parse([op('PROTO', 2), op('NONE')]));
    expect(s.error).toMatchObject({ offset: 3, kind: 'truncated' });
  });

  it('reports an unknown opcode as malformed and keeps what came before', async () => {
    const parts = [op('GLOBAL', 'os', 'system'), raw([0xff]), STOP];
    const s = first(await parse(parts));
    expect(s.error).toEqual({ offset: offsets(parts)[1], kind: 'malformed', message: 'unknown opcode 0xff' });
    expect(s.globals).toHaveLength(1);
  });

  it.each([
    ['stack underflow', [op('REDUCE')], 'REDUCE needs a callable'],
    ['MARK missing', [op('NONE'), op('TUPLE')], 'MARK not found for TUPLE'],
    ['pop below a MARK', [op('NONE'), op('MARK'), op('TUPLE1')], 'TUPLE1 needs 1 items'],
    ['bad UTF-8', [op('SHORT_BINUNICODE', new Uint8Array([0xc3, 0x28]))], 'invalid UTF-8 in SHORT_BINUNICODE'],
    ['bad protocol', [op('PROTO', 9)], 'unsupported pickle protocol 9'],
    ['unquoted STRING', [op('STRING', 'abc')], 'must be quoted'],
    ['negative BINSTRING', [raw([0x54, 0xff, 0xff, 0xff, 0xff])], 'negative byte count'],
    ['STOP on empty stack', [], 'STOP needs a value'],
  ] as const)('reports %s as malformed', async (_name, parts, message) => {
    const s = first(await parse([...parts, STOP]));
    expect(s.error?.kind).toBe('malformed');
    expect(s.error?.message).toContain(message);
  });

  it('goes on after a missing memo key with an unknown value and notes it', async () => {
    const s = first(await parse([op('BINGET', 7), op('GLOBAL', 'os', 'system'), op('TUPLE2'), STOP]));
    expect(s.complete).toBe(true);
    expect(s.error).toBeUndefined();
    expect(s.anomalies).toEqual([{ offset: 0, message: 'memo key 7 not found' }]);
    expect(s.globals).toHaveLength(1);
  });

  it('records the INST import even when its MARK is missing', async () => {
    const s = first(await parse([op('INST', 'os', 'system'), STOP]));
    expect(s.globals).toHaveLength(1);
    expect(s.error?.message).toBe('MARK not found for INST');
  });
});

describe('limits', () => {
  it.each([
    ['maxOpcodes', { maxOpcodes: 3 }, [op('NONE'), op('NONE'), op('NONE'), op('NONE'), op('TUPLE3'), STOP]],
    ['maxMemo', { maxMemo: 1 }, [op('NONE'), op('MEMOIZE'), op('MEMOIZE'), STOP]],
    ['maxDepth', { maxDepth: 2 }, [op('MARK'), op('MARK'), op('MARK'), STOP]],
    ['maxDepth', { maxDepth: 2 }, [op('NONE'), op('TUPLE1'), op('TUPLE1'), op('TUPLE1'), STOP]],
    ['maxStackItems', { maxStackItems: 2 }, [op('NONE'), op('NONE'), op('NONE'), op('NONE'), STOP]],
    ['maxPickleBytes', { maxPickleBytes: 3 }, [op('NONE'), op('NONE'), op('NONE'), op('NONE'), STOP]],
    ['maxStreams', { maxStreams: 1 }, [op('NONE'), STOP, op('PROTO', 2), op('NONE'), STOP]],
  ] as const)('stops at %s', async (limit, limits: Partial<Limits>, parts) => {
    const facts = await parse([...parts], limits);
    expect(facts.limitHit?.limit).toBe(limit);
    if (limit !== 'maxStreams') expect(first(facts).error?.kind).toBe('limit');
    expect(first(facts).opcodeCount).toBeLessThanOrEqual(limits.maxOpcodes ?? Infinity);
  });

  it.each([
    ['maxMemo', { maxMemo: 1 }, [op('NONE'), op('PUT', '0'), op('PUT', '1'), STOP], 'memo limit (1) reached'],
    ['maxDepth', { maxDepth: 2 }, [op('MARK'), op('NONE'), op('TUPLE1'), op('TUPLE1'), op('INST', 'a', 'B'), STOP], 'value nesting limit (2) reached'],
  ] as const)('stops at %s on a protocol 0 opcode, at that opcode', async (limit, limits: Partial<Limits>, parts, message) => {
    const facts = await parse([...parts], limits);
    const s = first(facts);
    // The limit is hit on the last opcode before STOP.
    const at = offsets([...parts])[parts.length - 2];
    expect(facts.limitHit).toEqual({ limit, offset: at });
    expect(s.error).toEqual({ offset: at, kind: 'limit', message });
    expect(s.opcodeCount).toBe(parts.length - 2);
  });

  it('stops at timeoutMs using the injected clock', async () => {
    const parts: AsmPart[] = [op('EMPTY_LIST'), op('MARK')];
    for (let i = 0; i < 70_000; i++) parts.push(op('NONE'));
    parts.push(op('APPENDS'), STOP);
    let t = 0;
    const facts = await parse(parts, { timeoutMs: 1000 }, () => (t += 2000));
    expect(facts.limitHit?.limit).toBe('timeoutMs');
    expect(first(facts).error?.kind).toBe('limit');
  });

  it('throws ABORTED when the signal is aborted', async () => {
    const ctl = new AbortController();
    ctl.abort();
    const p = parsePickle(bufferSource(assemblePickle([op('NONE'), STOP]), 't'), { limits: DEFAULT_LIMITS, signal: ctl.signal });
    await expect(p).rejects.toSatisfy((e: unknown) => isBulwarkError(e, 'ABORTED'));
  });
});

describe('nested pickles', () => {
  it('parses bytes passed to pickle.loads in place, with source offsets', async () => {
    const inner = assemblePickle([op('PROTO', 4), op('GLOBAL', 'os', 'system'), sbu('id'), op('TUPLE1'), op('REDUCE'), STOP]);
    const parts = [op('PROTO', 4), op('GLOBAL', 'pickle', 'loads'), op('SHORT_BINBYTES', inner), op('TUPLE1'), op('REDUCE'), STOP];
    const at = offsets(parts);
    const facts = await parse(parts);
    expect(facts.streams.map((s) => s.origin)).toEqual(['primary', 'nested-bytes']);
    const nested = facts.streams[1];
    const payloadAt = (at[2] ?? 0) + 2;
    expect(nested?.start).toBe(payloadAt);
    expect(nested?.complete).toBe(true);
    expect(nested?.globals[0]).toMatchObject({ module: 'os', name: 'system', offset: payloadAt + 2 });
    expect(first(facts).complete).toBe(true);
  });

  it('follows cPickle.loads of a protocol 0 STRING (offsets pinned to the STRING opcode)', async () => {
    const parts = [op('GLOBAL', 'cPickle', 'loads'), op('STRING', "'cos\\nsystem\\n(S\\'id\\'\\ntR.'"), op('TUPLE1'), op('REDUCE'), STOP];
    const at = offsets(parts);
    const facts = await parse(parts);
    const nested = facts.streams[1];
    expect(nested).toMatchObject({ origin: 'nested-bytes', start: at[1], end: at[1], complete: true });
    expect(nested?.globals[0]).toMatchObject({ module: 'os', name: 'system', offset: at[1] });
    expect(nested?.invocations[0]).toMatchObject({ offset: at[1], callable: { kind: 'global', importOffset: at[1] }, argsPreview: "('id',)" });
  });

  it("follows pickle.loads(_codecs.encode(s, 'latin1')), the protocol 2 spelling of bytes", async () => {
    const inner = assemblePickle([op('PROTO', 2), op('GLOBAL', 'os', 'system'), op('STOP')]);
    const latin1 = String.fromCharCode(...inner);
    const parts = [
      op('PROTO', 2), op('GLOBAL', 'pickle', 'loads'), op('GLOBAL', '_codecs', 'encode'), op('BINUNICODE', latin1), sbu('latin1'),
      op('TUPLE2'), op('REDUCE'), op('TUPLE1'), op('REDUCE'), STOP,
    ];
    const at = offsets(parts);
    const facts = await parse(parts);
    expect(facts.streams[1]).toMatchObject({ origin: 'nested-bytes', start: at[6], complete: true });
    expect(facts.streams[1]?.globals[0]).toMatchObject({ module: 'os', name: 'system', offset: at[6] });
  });

  it('follows pickle.load(io.BytesIO(...))', async () => {
    const inner = assemblePickle([op('GLOBAL', 'os', 'system'), STOP]);
    const facts = await parse([
      op('GLOBAL', 'pickle', 'load'), op('GLOBAL', 'io', 'BytesIO'), op('BINBYTES', inner), op('TUPLE1'), op('REDUCE'), op('TUPLE1'), op('REDUCE'), STOP,
    ]);
    expect(facts.streams[1]?.globals[0]).toMatchObject({ module: 'os', name: 'system' });
  });
});

/** The opcodes joblib writes for a NumpyArrayWrapper (protocol 4), ending with its BUILD. */
function wrapper(dtype: string, shape: number[], dtypeFlags: number, align: 'missing' | 'none' | number, order = '<'): AsmPart[] {
  const state: AsmPart[] = [
    sbu('subclass'), op('GLOBAL', 'numpy', 'ndarray'),
    sbu('shape'), op('MARK'), ...shape.map((n) => op('BININT', n)), op('TUPLE'),
    sbu('order'), sbu('C'),
    sbu('dtype'), op('GLOBAL', 'numpy', 'dtype'), sbu(dtype), op('NEWFALSE'), op('NEWTRUE'), op('TUPLE3'), op('REDUCE'),
    op('MARK'), op('BININT1', 3), sbu(order), op('NONE'), op('NONE'), op('NONE'), op('BININT', -1), op('BININT', -1), op('BININT1', dtypeFlags), op('TUPLE'), op('BUILD'),
    sbu('allow_mmap'), op('NEWTRUE'),
  ];
  if (align !== 'missing') state.push(sbu('numpy_array_alignment_bytes'), align === 'none' ? op('NONE') : op('BININT1', align));
  return [op('GLOBAL', 'joblib.numpy_pickle', 'NumpyArrayWrapper'), op('EMPTY_TUPLE'), op('NEWOBJ'), op('EMPTY_DICT'), op('MARK'), ...state, op('SETITEMS'), op('BUILD')];
}

describe('joblib NumpyArrayWrapper', () => {
  const tail: AsmPart[] = [op('GLOBAL', 'os', 'system'), op('TUPLE2'), STOP];

  it('skips aligned raw array data and parses the opcodes after it', async () => {
    const head = [P4, ...wrapper('f8', [2, 3], 0, 16)];
    const headLen = assemblePickle(head).length;
    const pad = 16 - ((headLen + 1) % 16);
    const data = new Uint8Array(48).fill(0x2e); // '.' bytes: misparsed as opcodes they would look like STOP
    const facts = await parse([...head, raw([pad, ...new Array<number>(pad).fill(0xff)]), raw(data), ...tail]);
    expect(facts.joblibArrays).toEqual([{ offset: headLen + 1 + pad, bytes: 48, dtype: '<f8' }]);
    const s = first(facts);
    expect(s.complete).toBe(true);
    expect(s.globals.map((g) => g.name)).toContain('system');
    expect(facts.streams).toHaveLength(1);
  });

  it.each(['missing', 'none'] as const)('skips unpadded raw array data when the alignment key is %s', async (align) => {
    const head = [P4, ...wrapper('i4', [5], 0, align)];
    const headLen = assemblePickle(head).length;
    const facts = await parse([...head, raw(new Uint8Array(20).fill(0x80)), ...tail]);
    expect(facts.joblibArrays).toEqual([{ offset: headLen, bytes: 20, dtype: '<i4' }]);
    expect(first(facts).complete).toBe(true);
  });

  it('parses the inline pickle of an object-dtype array as its own stream', async () => {
    const head = [P4, ...wrapper('O8', [1], 63, 16, '|')];
    const headLen = assemblePickle(head).length;
    const inline = assemblePickle([op('PROTO', 2), op('GLOBAL', 'builtins', 'eval'), op('EMPTY_TUPLE'), op('REDUCE'), STOP]);
    const facts = await parse([...head, raw(inline), ...tail]);
    expect(facts.streams.map((s) => [s.origin, s.start, s.complete])).toEqual([
      ['primary', 0, true],
      ['joblib-inline', headLen, true],
    ]);
    expect(facts.streams[1]?.globals[0]).toMatchObject({ module: 'builtins', name: 'eval', offset: headLen + 2 });
    expect(facts.joblibArrays).toEqual([{ offset: headLen, bytes: inline.length, dtype: 'O8' }]);
  });

  it('reports a wrapper whose dtype cannot be determined instead of misparsing its data', async () => {
    const parts = [P4, op('GLOBAL', 'joblib.numpy_pickle', 'NumpyArrayWrapper'), op('EMPTY_TUPLE'), op('NEWOBJ'), op('EMPTY_DICT'), op('BUILD'), raw([1, 2, 3])];
    const s = first(await parse(parts));
    expect(s.error?.kind).toBe('malformed');
    expect(s.error?.message).toContain('has no numpy.dtype(...) dtype');
  });

  it('reports array data cut short as truncated', async () => {
    const s = first(await parse([P4, ...wrapper('f8', [1000], 0, 'missing'), raw(new Uint8Array(10))]));
    expect(s.error?.kind).toBe('truncated');
    expect(s.error?.message).toContain('8000 bytes of joblib array data');
  });
});

describe('windows and large payloads', () => {
  it('skips a huge BINBYTES8 payload without reading it', async () => {
    const size = 300 * 1024 * 1024;
    const header = assemblePickle([op('PROTO', 4), op('GLOBAL', 'os', 'system'), raw([0x8e, ...new Uint8Array(new BigUint64Array([BigInt(size)]).buffer)])]);
    const trailer = assemblePickle([op('TUPLE2'), STOP]);
    const total = header.length + size + trailer.length;
    let read = 0;
    const src: ByteSource = {
      uri: 'lazy',
      size: total,
      read(offset: number, length: number): Promise<Uint8Array> {
        const len = Math.max(0, Math.min(length, total - offset));
        read += len;
        const out = new Uint8Array(len);
        for (let i = 0; i < len; i++) {
          const at = offset + i;
          if (at < header.length) out[i] = header[at] ?? 0;
          else if (at >= total - trailer.length) out[i] = trailer[at - (total - trailer.length)] ?? 0;
        }
        return Promise.resolve(out);
      },
    };
    const facts = await parsePickle(src, { limits: DEFAULT_LIMITS });
    expect(first(facts).complete).toBe(true);
    expect(first(facts).opcodeCount).toBe(5);
    expect(read).toBeLessThan(64 * 1024 * 1024);
  });

  it('reads strings and lines that straddle window boundaries', async () => {
    // Strings of 1..97 characters tiled past two 8 MiB windows put every kind of boundary split in play.
    const chunkParts: AsmPart[] = [];
    for (let i = 1; i <= 97; i++) chunkParts.push(i % 2 === 0 ? sbu('s'.repeat(i)) : op('STRING', `'${'t'.repeat(i)}'`));
    const chunk = assemblePickle(chunkParts);
    const reps = Math.ceil((17 << 20) / chunk.length);
    const head = assemblePickle([op('PROTO', 4), op('EMPTY_LIST'), op('MARK')]);
    const tailParts = [op('APPENDS'), op('GLOBAL', 'os', 'system'), op('BINUNICODE', 'x'.repeat(3 << 20)), op('TUPLE2'), STOP];
    const tail = assemblePickle(tailParts);
    const bytes = new Uint8Array(head.length + reps * chunk.length + tail.length);
    bytes.set(head, 0);
    for (let r = 0; r < reps; r++) bytes.set(chunk, head.length + r * chunk.length);
    bytes.set(tail, head.length + reps * chunk.length);
    const s = first(await parse(bytes));
    expect(s.error).toBeUndefined();
    expect(s.opcodeCount).toBe(3 + reps * 97 + tailParts.length);
    expect(s.globals[0]?.offset).toBe(head.length + reps * chunk.length + 1);
  });
});

describe('sniffing', () => {
  it('sniffs PROTO 2..5 headers and protocol 0/1 starts', () => {
    expect(sniffPickle(new Uint8Array([0x80, 4, 0x95]))).toBe(true);
    expect(sniffPickle(new Uint8Array([0x80, 6, 0x95]))).toBe(false);
    expect(sniffPickle(new Uint8Array([0x80, 2, 0x00]))).toBe(false);
    expect(sniffPickle(enc.encode('(lp0'))).toBe(true);
    expect(sniffPickle(enc.encode('hello'))).toBe(false);
    expect(sniffPickle(new Uint8Array())).toBe(false);
  });

  it('confirms protocol 0/1 pickles with a trial parse and rejects text', async () => {
    const yes = bufferSource(assemblePickle([op('MARK'), op('GLOBAL', 'os', 'system'), op('TUPLE'), STOP]), 'a');
    expect(await looksLikeProtocol01Pickle(yes, DEFAULT_LIMITS)).toBe(true);
    const text = bufferSource(enc.encode('I think, therefore I am.\nLorem ipsum.\n'), 'b');
    expect(await looksLikeProtocol01Pickle(text, DEFAULT_LIMITS)).toBe(false);
    const single = bufferSource(enc.encode('N.'), 'c');
    expect(await looksLikeProtocol01Pickle(single, DEFAULT_LIMITS)).toBe(true);
    const one = bufferSource(enc.encode('.'), 'd');
    expect(await looksLikeProtocol01Pickle(one, DEFAULT_LIMITS)).toBe(false);
  });
});
