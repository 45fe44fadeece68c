import { describe, expect, it } from 'vitest';
import { bufferSource } from '../../io/byte-source.js';
import { DEFAULT_LIMITS } from '../../io/limits.js';
import { assemblePickle, op, type AsmPart } from './assemble.js';
import { OPCODE_BY_CODE, PICKLE_OPCODES, type PickleOpName } from './opcodes.js';
import { parsePickle } from './parse-pickle.js';

const K = (n: number): AsmPart => op('BININT1', n);
const OD: AsmPart = op('GLOBAL', 'collections', 'OrderedDict');

/** For every opcode, a complete pickle that uses it in a valid context (typed: none can be missing). */
const SAMPLES: Record<PickleOpName, AsmPart[]> = {
  INT: [op('INT', '-42')],
  BININT: [op('BININT', -3)],
  BININT1: [K(7)],
  BININT2: [op('BININT2', 65000)],
  LONG: [op('LONG', '12345678901234567890L')],
  LONG1: [op('LONG1', 2n ** 70n)],
  LONG4: [op('LONG4', -(2n ** 100n))],
  STRING: [op('STRING', "'a\\x41\\n'")],
  BINSTRING: [op('BINSTRING', 'ab')],
  SHORT_BINSTRING: [op('SHORT_BINSTRING', 'ab')],
  BINBYTES: [op('BINBYTES', new Uint8Array([1, 2, 3]))],
  SHORT_BINBYTES: [op('SHORT_BINBYTES', new Uint8Array([1, 2, 3]))],
  BINBYTES8: [op('BINBYTES8', new Uint8Array([1, 2, 3]))],
  BYTEARRAY8: [op('BYTEARRAY8', new Uint8Array([1, 2, 3]))],
  NEXT_BUFFER: [op('NEXT_BUFFER')],
  READONLY_BUFFER: [op('NEXT_BUFFER'), op('READONLY_BUFFER')],
  NONE: [op('NONE')],
  NEWTRUE: [op('NEWTRUE')],
  NEWFALSE: [op('NEWFALSE')],
  UNICODE: [op('UNICODE', 'h\\u00e9llo')],
  SHORT_BINUNICODE: [op('SHORT_BINUNICODE', 'héllo')],
  BINUNICODE: [op('BINUNICODE', 'héllo')],
  BINUNICODE8: [op('BINUNICODE8', 'héllo')],
  FLOAT: [op('FLOAT', '1.5e3')],
  BINFLOAT: [op('BINFLOAT', 2.25)],
  EMPTY_LIST: [op('EMPTY_LIST')],
  APPEND: [op('EMPTY_LIST'), K(1), op('APPEND')],
  APPENDS: [op('EMPTY_LIST'), op('MARK'), K(1), K(2), op('APPENDS')],
  LIST: [op('MARK'), K(1), op('LIST')],
  EMPTY_TUPLE: [op('EMPTY_TUPLE')],
  TUPLE: [op('MARK'), K(1), K(2), op('TUPLE')],
  TUPLE1: [K(1), op('TUPLE1')],
  TUPLE2: [K(1), K(2), op('TUPLE2')],
  TUPLE3: [K(1), K(2), K(3), op('TUPLE3')],
  EMPTY_DICT: [op('EMPTY_DICT')],
  DICT: [op('MARK'), K(1), K(2), op('DICT')],
  SETITEM: [op('EMPTY_DICT'), K(1), K(2), op('SETITEM')],
  SETITEMS: [op('EMPTY_DICT'), op('MARK'), K(1), K(2), op('SETITEMS')],
  EMPTY_SET: [op('EMPTY_SET')],
  ADDITEMS: [op('EMPTY_SET'), op('MARK'), K(1), op('ADDITEMS')],
  FROZENSET: [op('MARK'), K(1), op('FROZENSET')],
  POP: [K(1), K(2), op('POP')],
  DUP: [K(1), op('DUP'), op('POP')],
  MARK: [op('MARK'), op('TUPLE')],
  POP_MARK: [K(1), op('MARK'), K(2), op('POP_MARK')],
  GET: [K(1), op('PUT', '3'), op('POP'), op('GET', '3')],
  BINGET: [K(1), op('BINPUT', 3), op('POP'), op('BINGET', 3)],
  LONG_BINGET: [K(1), op('LONG_BINPUT', 70000), op('POP'), op('LONG_BINGET', 70000)],
  PUT: [K(1), op('PUT', '0')],
  BINPUT: [K(1), op('BINPUT', 0)],
  LONG_BINPUT: [K(1), op('LONG_BINPUT', 0)],
  MEMOIZE: [K(1), op('MEMOIZE'), op('POP'), op('BINGET', 0)],
  EXT1: [op('EXT1', 1)],
  EXT2: [op('EXT2', 300)],
  EXT4: [op('EXT4', 70000)],
  GLOBAL: [OD],
  STACK_GLOBAL: [op('SHORT_BINUNICODE', 'collections'), op('SHORT_BINUNICODE', 'OrderedDict'), op('STACK_GLOBAL')],
  REDUCE: [OD, op('EMPTY_TUPLE'), op('REDUCE')],
  BUILD: [OD, op('EMPTY_TUPLE'), op('REDUCE'), op('EMPTY_DICT'), op('BUILD')],
  INST: [op('MARK'), op('INST', 'collections', 'OrderedDict')],
  OBJ: [op('MARK'), OD, op('OBJ')],
  NEWOBJ: [OD, op('EMPTY_TUPLE'), op('NEWOBJ')],
  NEWOBJ_EX: [OD, op('EMPTY_TUPLE'), op('EMPTY_DICT'), op('NEWOBJ_EX')],
  PROTO: [op('PROTO', 2), op('NONE')],
  STOP: [op('NONE')],
  FRAME: [op('FRAME', 2), op('NONE')],
  PERSID: [op('PERSID', 'storage0')],
  BINPERSID: [K(1), op('BINPERSID')],
};

describe('opcode table', () => {
  it('has the 68 opcodes of protocols 0-5 with distinct codes', () => {
    expect(PICKLE_OPCODES).toHaveLength(68);
    expect(new Set(PICKLE_OPCODES.map((o) => o.code)).size).toBe(68);
    expect(OPCODE_BY_CODE[0x80]?.name).toBe('PROTO');
    expect(OPCODE_BY_CODE[0x93]?.name).toBe('STACK_GLOBAL');
    expect(OPCODE_BY_CODE[0x00]).toBeUndefined();
  });

  it.each(PICKLE_OPCODES.map((o) => [o.name] as const))('parses %s', async (name) => {
    const parts = [...SAMPLES[name], op('STOP')];
    const bytes = assemblePickle(parts);
    const facts = await parsePickle(bufferSource(bytes, 't.pkl'), { limits: DEFAULT_LIMITS });
    const s = facts.streams[0];
    expect(s?.error).toBeUndefined();
    expect(s?.complete).toBe(true);
    expect(s?.opcodeCount).toBe(parts.length);
    expect(s?.end).toBe(bytes.length);
    expect(facts.streams).toHaveLength(1);
  });
});
