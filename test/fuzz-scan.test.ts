import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isBulwarkError } from '../src/errors.js';
import { bufferSource, createInflateBudget, resolveLimits } from '../src/io/index.js';
import { analyseSource, type AnalysisSink } from '../src/scan/analyse-source.js';
import { fixture } from './helpers.js';

// Container fixtures: mutations of these exercise the zip, tar, gzip, npy, joblib and legacy paths.
const SEEDS = [
  'benign/torch_state_dict.pt',
  'benign/torch_state_dict_legacy.pt',
  'benign/sklearn_logreg_zlib.joblib',
  'benign/joblib_numpy_arrays.joblib',
  'benign/numpy_savez_compressed.npz',
  'benign/numpy_object_strings.npy',
  'malicious/torch_legacy_tar.pt',
  'malicious/model.pkl.gz',
].map((p) => readFileSync(fixture(p)));

// Small limits so that every mutation is also a test of the limits themselves.
const limits = resolveLimits({ maxOpcodes: 20_000, maxMemberBytes: 4 * 1024 * 1024, maxTotalInflatedBytes: 8 * 1024 * 1024, timeoutMs: 5_000 });

const mutation = fc.record({
  seed: fc.nat({ max: SEEDS.length - 1 }),
  edits: fc.array(
    fc.oneof(
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat({ max: 7 }) }),
      fc.record({ kind: fc.constant('byte' as const), at: fc.nat(), value: fc.nat({ max: 255 }) }),
      fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ maxLength: 16 }) }),
    ),
    { minLength: 1, maxLength: 6 },
  ),
});

type Edit = { kind: 'flip' | 'byte' | 'truncate' | 'insert'; at: number; bit?: number; value?: number; bytes?: Uint8Array };

function mutate(input: Uint8Array, edits: readonly Edit[]): Uint8Array {
  let b = Uint8Array.from(input);
  for (const e of edits) {
    const at = b.length === 0 ? 0 : e.at % b.length;
    if (e.kind === 'flip') b[at] = (b[at] ?? 0) ^ (1 << (e.bit ?? 0));
    else if (e.kind === 'byte') b[at] = e.value ?? 0;
    else if (e.kind === 'truncate') b = b.subarray(0, at);
    else b = Uint8Array.from([...b.subarray(0, at), ...(e.bytes ?? []), ...b.subarray(at)]);
  }
  return b;
}

describe('scanner fuzzing (fast-check)', () => {
  it('mutated containers give facts or typed errors, never a crash, within the limits', async () => {
    await fc.assert(
      fc.asyncProperty(mutation, async ({ seed, edits }) => {
        const bytes = mutate(SEEDS[seed] ?? new Uint8Array(), edits);
        const sink: AnalysisSink = { located: [], errors: [], skipped: [], counters: { pickleStreams: 0, pickleOpcodes: 0, archiveMembers: 0, membersAnalysed: 0 } };
        const env = { limits, signal: AbortSignal.timeout(limits.timeoutMs), budget: createInflateBudget(limits), sink };
        try {
          await analyseSource(bufferSource(bytes, 'fuzz.bin'), 0, env);
        } catch (err) {
          // Containers that cannot be read throw typed errors, which the scanner records.
          expect(isBulwarkError(err), String(err)).toBe(true);
        }
        for (const l of sink.located) {
          if (l.facts.kind === 'pickle') for (const s of l.facts.streams) expect(s.opcodeCount).toBeLessThanOrEqual(limits.maxOpcodes);
        }
        expect(env.budget.remaining).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 400, seed: 20261121 },
    );
  });
});
