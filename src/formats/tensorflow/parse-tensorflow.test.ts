import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isBulwarkError } from '../../errors.js';
import { bufferSource } from '../../io/byte-source.js';
import { DEFAULT_LIMITS, type Limits } from '../../io/limits.js';
import { parseKerasMetadata, sniffKerasMetadata } from './parse-keras-metadata.js';
import { detectTensorflowContainer, parseTensorflow, sniffGraphDef, sniffSavedModel } from './parse-tensorflow.js';

const dir = new URL('../../../test/fixtures/tensorflow/', import.meta.url);
const load = (rel: string): Uint8Array => Uint8Array.from(readFileSync(new URL(rel, dir)));
const SAVED = ['clean_tf1/saved_model.pb', 'clean_tf2/saved_model.pb', 'read_write_file/saved_model.pb', 'pyfunc_library/saved_model.pb', 'rogue_savev2/saved_model.pb'];
const FROZEN = ['clean_frozen_graph.pb', 'frozen_matching_files.pb', 'print_to_file_and_rpc.pb'];
const KERAS = ['keras_clean/keras_metadata.pb', 'keras_lambda/keras_metadata.pb', 'keras_custom/keras_metadata.pb'];

function randomHeads(n: number, len: number, seed = 0x2545f491): Uint8Array[] {
  let s = seed;
  const next = (): number => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
  return Array.from({ length: n }, () => Uint8Array.from({ length: len }, () => next() & 0xff));
}

describe('TensorFlow sniffers', () => {
  it('recognise each fixture as exactly its own kind', () => {
    for (const rel of SAVED) {
      const b = load(rel);
      expect(sniffSavedModel(b.subarray(0, 512), rel, b.length)).toBe(true);
      expect(sniffSavedModel(b.subarray(0, 512), 'renamed.bin', b.length)).toBe(true);
      expect(sniffGraphDef(b.subarray(0, 512), rel, b.length)).toBe(false);
      expect(detectTensorflowContainer(b, 'x.pb')).toBe('saved-model');
    }
    for (const rel of FROZEN) {
      const b = load(rel);
      expect(sniffGraphDef(b.subarray(0, 512), rel, b.length)).toBe(true);
      expect(sniffGraphDef(b.subarray(0, 512), 'renamed.bin', b.length)).toBe(true);
      expect(sniffSavedModel(b.subarray(0, 512), rel, b.length)).toBe(false);
      expect(detectTensorflowContainer(b, rel)).toBe('graph-def');
    }
    for (const rel of KERAS) {
      const b = load(rel);
      expect(sniffKerasMetadata(b.subarray(0, 512), rel, b.length)).toBe(true);
      expect(sniffKerasMetadata(b.subarray(0, 512), 'other.pb', b.length)).toBe(false);
      expect(sniffGraphDef(b.subarray(0, 512), rel, b.length)).toBe(false);
    }
  });

  it('accept a NodeDef with op before name (protobuf allows any field order)', () => {
    const node = [0x12, 0x08, ...new TextEncoder().encode('ReadFile'), 0x0a, 0x01, 0x72];
    expect(sniffGraphDef(Uint8Array.from([0x0a, node.length, ...node]), 'evasive.bin')).toBe(true);
  });

  it('reject random bytes without the right name', () => {
    const heads = randomHeads(20_000, 512);
    expect(heads.filter((h) => sniffSavedModel(h, 'x.bin', 1 << 30)).length).toBe(0);
    expect(heads.filter((h) => sniffGraphDef(h, 'x.bin', 1 << 30)).length).toBe(0);
    expect(heads.filter((h) => sniffGraphDef(h, 'x.pb', 1 << 30)).length).toBeLessThan(100);
    expect(heads.filter((h) => sniffKerasMetadata(h, 'x.bin', 1 << 30)).length).toBe(0);
  });
});

describe('parseTensorflow', () => {
  it('walks graph nodes and function-library node_defs', async () => {
    const facts = await parseTensorflow(bufferSource(load('pyfunc_library/saved_model.pb'), 'saved_model.pb'), { limits: DEFAULT_LIMITS });
    expect(facts.container).toBe('saved-model');
    expect(facts.schemaVersion).toBe(1);
    expect(facts.metaGraphs).toEqual([{ tags: ['serve'], tensorflowVersion: '2.15.0', filenameTensor: 'saver_filename:0', restoreOp: 'StatefulPartitionedCall_2' }]);
    expect(facts.functionCount).toBe(4);
    const py = facts.ops.find((o) => o.op === 'PyFunc');
    expect(py?.examples[0]).toMatchObject({ name: 'PyFunc', scope: 'function:__inference_preprocess_31', attrs: { token: 'pyfunc_0' }, saverContext: false });
  });

  it('reports a non-protobuf file as malformed facts', async () => {
    const facts = await parseTensorflow(bufferSource(new TextEncoder().encode('not a graph at all'), 'x.pb'), { limits: DEFAULT_LIMITS });
    expect(facts.error?.message).toMatch(/^x\.pb: /);
  });
});

const FUZZ_LIMITS: Limits = { ...DEFAULT_LIMITS, maxDepth: 20, timeoutMs: 2_000 };
const seeds = [...SAVED, ...FROZEN].map(load);
const kerasSeeds = KERAS.map(load);

async function parseAny(b: Uint8Array, keras: boolean): Promise<void> {
  try {
    if (keras) {
      const facts = await parseKerasMetadata(bufferSource(b, 'keras_metadata.pb'), { limits: FUZZ_LIMITS });
      for (const l of facts.layers) expect(l.offset >= 0 && l.offset < b.length).toBe(true);
    } else {
      const facts = await parseTensorflow(bufferSource(b, 'fuzz.pb'), { limits: FUZZ_LIMITS });
      for (const o of facts.ops) for (const n of o.examples) expect(n.offset >= 0 && n.offset < b.length).toBe(true);
      if (facts.error) expect(facts.error.offset >= 0 && facts.error.offset <= b.length).toBe(true);
    }
  } catch (err) {
    expect(isBulwarkError(err, 'LIMIT_EXCEEDED'), String(err)).toBe(true);
  }
}

function mutate(seed: Uint8Array, muts: [number, number, string][]): Uint8Array {
  let b = Uint8Array.from(seed);
  for (const [at, v, kind] of muts) {
    const i = at % Math.max(1, b.length);
    if (kind === 'set') b[i] = v;
    else if (kind === 'cut') b = b.subarray(0, i);
    else b = Uint8Array.from([...b.subarray(0, i), v, ...b.subarray(i)]);
  }
  return b;
}

const mutation = fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('set', 'cut', 'insert'));

describe('TensorFlow parser fuzzing', () => {
  it('gives facts or a typed error on random bytes', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 2048 }), fc.boolean(), parseAny), { numRuns: 300 });
  });

  it('gives facts or a typed error on mutated graphs and keras metadata', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...seeds), fc.array(mutation, { minLength: 1, maxLength: 6 }), (s, m) => parseAny(mutate(s, m), false)),
      { numRuns: 400 },
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...kerasSeeds), fc.array(mutation, { minLength: 1, maxLength: 6 }), (s, m) => parseAny(mutate(s, m), true)),
      { numRuns: 300 },
    );
  });
});
