import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isBulwarkError } from '../../errors.js';
import { bufferSource } from '../../io/byte-source.js';
import { DEFAULT_LIMITS } from '../../io/limits.js';
import { parseKerasConfigJson, type KerasConfigLimits } from './config-walker.js';
import type { KerasFacts } from './facts.js';
import { parseKerasH5 } from './parse-h5.js';

const LIMITS: KerasConfigLimits = { maxConfigChars: 20_000, maxDepth: 12, maxNodes: 2_000, maxRecords: 50 };

// A copy: Buffer#slice is a view, and the fuzz edits must not reach the seeds.
const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(`../../../test/fixtures/keras/${name}`, import.meta.url)));

function checkFacts(f: KerasFacts): void {
  expect(f.kind).toBe('keras');
  expect(f.layers.length + f.objects.length + f.lambdas.length + f.tfOps.length + f.externalPaths.length).toBeLessThanOrEqual(LIMITS.maxRecords);
  for (const r of [...f.layers, ...f.objects, ...f.lambdas]) expect(r.pointer === '' || r.pointer.startsWith('/')).toBe(true);
  for (const o of [...f.layers, ...f.objects]) expect(o.qualifiedName.length).toBeGreaterThan(0);
}

/** JSON values biased towards Keras shapes: serialized objects, Lambda configs, role keys. */
const kerasish = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.oneof(fc.constant(null), fc.boolean(), fc.integer(), fc.constantFrom('relu', 'os', 'Lambda', 'function', '__lambda__', 'a/b~c', '')),
    fc.array(tie('value'), { maxLength: 4 }),
    tie('object'),
    tie('serialized'),
  ),
  object: fc.dictionary(
    fc.constantFrom('config', 'layers', 'layer', 'activation', 'loss', 'metrics', 'function', 'function_type', 'module', 'output_shape', 'arguments', 'code', 'vocabulary', 'x'),
    tie('value'),
    { maxKeys: 5 },
  ),
  serialized: fc.record(
    {
      class_name: fc.constantFrom('Lambda', 'Dense', 'function', '__lambda__', 'TFOpLambda', 'StringLookup', '__tensor__', 'mypkg.X'),
      module: fc.oneof(fc.constant(null), fc.constantFrom('keras.layers', 'os', 'keras.utils', 'mypkg')),
      registered_name: fc.oneof(fc.constant(null), fc.constantFrom('function', 'mypkg>X')),
      config: tie('value'),
    },
    { requiredKeys: ['class_name'] },
  ),
}));

describe('parseKerasConfigJson fuzz', () => {
  it('gives facts within limits for random Keras-shaped JSON', () => {
    fc.assert(
      fc.property(kerasish.value, (v) => {
        checkFacts(parseKerasConfigJson(JSON.stringify(v) ?? 'null', 'keras-v3', { limits: LIMITS }));
      }),
      { numRuns: 400 },
    );
  });

  it('gives facts for mutated real configs and arbitrary text', () => {
    const seed = JSON.stringify({ class_name: 'Sequential', config: { layers: [{ class_name: 'Lambda', config: { function: ['QUJD', null, null] } }] } });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: seed.length - 1 }), fc.string({ maxLength: 8 }), fc.string({ maxLength: 200 }), (at, ins, junk) => {
        checkFacts(parseKerasConfigJson(seed.slice(0, at) + ins + seed.slice(at + 1), 'keras-v3', { limits: LIMITS }));
        checkFacts(parseKerasConfigJson(junk, 'h5-model_config', { limits: LIMITS }));
      }),
      { numRuns: 300 },
    );
  });
});

describe('parseKerasH5 fuzz', () => {
  const seeds = ['lambda_sequential.h5', 'benign_functional.h5'].map(fixture);

  it('gives facts or a typed BulwarkError for mutated HDF5 files', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: seeds.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        fc.option(fc.nat(), { nil: undefined }),
        async (which, edits, cut) => {
          const seed = seeds[which] ?? new Uint8Array();
          // Most edits land in the first 4 KB: the superblock, root object header and attributes.
          const bytes = seed.slice(0, cut === undefined ? seed.length : Math.max(8, cut % seed.length));
          for (const [pos, b] of edits) bytes[pos % Math.min(bytes.length, 4096)] = b;
          try {
            checkFacts(await parseKerasH5(bufferSource(bytes, 'fuzz.h5'), { limits: DEFAULT_LIMITS, configLimits: LIMITS }));
          } catch (err) {
            if (!isBulwarkError(err)) throw err;
            expect(['PARSE_ERROR', 'LIMIT_EXCEEDED', 'UNSUPPORTED']).toContain(err.code);
            expect(err.message).toContain('fuzz.h5');
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('reads a valid file after a broken one (the HDF5 instance is replaced after errors)', async () => {
    const good = seeds[0] ?? new Uint8Array();
    const bad = good.slice();
    bad[200] = (bad[200] ?? 0) ^ 0x55;
    await expect(parseKerasH5(bufferSource(bad, 'bad.h5'), { limits: DEFAULT_LIMITS })).rejects.toMatchObject({ code: 'PARSE_ERROR' });
    const f = await parseKerasH5(bufferSource(good, 'good.h5'), { limits: DEFAULT_LIMITS });
    expect(f.lambdas).toHaveLength(1);
  });

  it('refuses in-memory bytes over maxMemberBytes before reading them', async () => {
    const src = bufferSource(seeds[0] ?? new Uint8Array(), 'big.h5', 'inner.h5');
    await expect(parseKerasH5(src, { limits: { ...DEFAULT_LIMITS, maxMemberBytes: 100 } })).rejects.toMatchObject({ code: 'LIMIT_EXCEEDED' });
  });
});
