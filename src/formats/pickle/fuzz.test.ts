import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bufferSource } from '../../io/byte-source.js';
import { DEFAULT_LIMITS, type Limits } from '../../io/limits.js';
import { assemblePickle, op, raw } from './assemble.js';
import type { PickleFacts } from './facts.js';
import { parsePickle } from './parse-pickle.js';

const LIMITS: Limits = { ...DEFAULT_LIMITS, maxOpcodes: 300, maxMemo: 40, maxDepth: 12, maxStackItems: 60, maxStreams: 6, maxPickleBytes: 4096 };

const sbu = (s: string) => op('SHORT_BINUNICODE', s);

/** Valid pickles that reach most code paths: every protocol, memo, nesting, joblib, appended streams. */
const SEEDS: Uint8Array[] = [
  assemblePickle([op('PROTO', 2), op('GLOBAL', 'os', 'system'), sbu('id'), op('TUPLE1'), op('REDUCE'), op('STOP')]),
  assemblePickle([
    op('PROTO', 4), op('FRAME', 40), sbu('builtins'), op('MEMOIZE'), sbu('eval'), op('MEMOIZE'), op('STACK_GLOBAL'), op('MEMOIZE'),
    op('BINGET', 2), op('MARK'), op('BININT1', 1), op('BINFLOAT', 1.5), op('TUPLE'), op('REDUCE'), op('EMPTY_DICT'), op('MARK'),
    sbu('a'), op('NONE'), op('SETITEMS'), op('BUILD'), op('STOP'),
  ]),
  assemblePickle([
    op('MARK'), op('STRING', "'x\\n'"), op('INST', '__builtin__', 'eval'), op('PUT', '0'), op('GET', '0'), op('LONG', '12L'),
    op('FLOAT', '2.5'), op('UNICODE', 'z'), op('TUPLE3'), op('POP'), op('STOP'),
    op('PROTO', 3), op('GLOBAL', 'pickle', 'loads'), op('SHORT_BINBYTES', assemblePickle([op('GLOBAL', 'os', 'system'), op('STOP')])),
    op('TUPLE1'), op('REDUCE'), op('STOP'), raw([0, 1, 2, 3]),
  ]),
  assemblePickle([
    op('PROTO', 4), op('GLOBAL', 'joblib.numpy_pickle', 'NumpyArrayWrapper'), op('EMPTY_TUPLE'), op('NEWOBJ'), op('EMPTY_DICT'), op('MARK'),
    sbu('shape'), op('BININT1', 2), op('TUPLE1'), sbu('dtype'), op('GLOBAL', 'numpy', 'dtype'), sbu('f4'), op('NEWFALSE'), op('NEWTRUE'),
    op('TUPLE3'), op('REDUCE'), sbu('numpy_array_alignment_bytes'), op('BININT1', 16), op('SETITEMS'), op('BUILD'),
    raw([3, 0xff, 0xff, 0xff, 1, 2, 3, 4, 5, 6, 7, 8]), op('EXT2', 9), op('EMPTY_TUPLE'), op('NEWOBJ_EX'), op('STOP'),
  ]),
];

/** What must hold for any input: facts, never an exception; limits respected; offsets in range. */
function checkFacts(facts: PickleFacts, size: number): void {
  expect(facts.kind).toBe('pickle');
  expect(facts.streams.length).toBeGreaterThanOrEqual(1);
  expect(facts.streams.length).toBeLessThanOrEqual(LIMITS.maxStreams);
  for (const s of facts.streams) {
    expect(s.opcodeCount).toBeLessThanOrEqual(LIMITS.maxOpcodes);
    expect(s.complete).toBe(s.error === undefined);
    expect(s.end).toBeGreaterThanOrEqual(0);
    expect(s.end).toBeLessThanOrEqual(size);
    for (const g of s.globals) expect(g.offset >= 0 && g.offset < size).toBe(true);
    for (const i of s.invocations) expect(i.offset >= 0 && i.offset < size).toBe(true);
  }
  expect(facts.trailingBytes).toBeGreaterThanOrEqual(0);
  expect(facts.opcodeCount).toBe(facts.streams.reduce((n, s) => n + s.opcodeCount, 0));
}

async function parseBytes(bytes: Uint8Array): Promise<PickleFacts> {
  return parsePickle(bufferSource(bytes, 'fuzz.pkl'), { limits: LIMITS });
}

type Mutation = { kind: 'flip'; at: number; bit: number } | { kind: 'cut'; at: number } | { kind: 'insert'; at: number; bytes: number[] } | { kind: 'set'; at: number; value: number };

function mutate(seed: Uint8Array, muts: readonly Mutation[]): Uint8Array {
  let b = Uint8Array.from(seed);
  for (const m of muts) {
    const at = b.length === 0 ? 0 : m.at % (b.length + 1);
    switch (m.kind) {
      case 'flip':
        if (at < b.length) b[at] = (b[at] ?? 0) ^ (1 << m.bit);
        break;
      case 'set':
        if (at < b.length) b[at] = m.value;
        break;
      case 'cut':
        b = b.subarray(0, at);
        break;
      case 'insert': {
        const out = new Uint8Array(b.length + m.bytes.length);
        out.set(b.subarray(0, at), 0);
        out.set(m.bytes, at);
        out.set(b.subarray(at), at + m.bytes.length);
        b = out;
        break;
      }
      default: {
        const never: never = m;
        return never;
      }
    }
  }
  return b;
}

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 12 }) }),
);

describe('fuzz: parsePickle never throws on bad input and respects its limits', () => {
  it('parses every seed cleanly', async () => {
    for (const seed of SEEDS) {
      const facts = await parseBytes(seed);
      checkFacts(facts, seed.length);
      expect(facts.streams.every((s) => s.error === undefined)).toBe(true);
    }
  });

  it('handles random bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 512 }), fc.boolean(), async (body, proto) => {
        const bytes = proto ? Uint8Array.from([0x80, 4, ...body]) : body;
        checkFacts(await parseBytes(bytes), bytes.length);
      }),
      { numRuns: 400 },
    );
  });

  it('handles mutated valid pickles', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: SEEDS.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 4 }), async (i, muts) => {
        const bytes = mutate(SEEDS[i] ?? new Uint8Array(), muts);
        checkFacts(await parseBytes(bytes), bytes.length);
      }),
      { numRuns: 500 },
    );
  });
});
