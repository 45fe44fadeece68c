import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isBulwarkError } from '../../errors.js';
import { bufferSource } from '../../io/byte-source.js';
import type { SafetensorsFacts } from './facts.js';
import { parseSafetensors } from './parse-safetensors.js';

const seed = (name: string): Uint8Array => readFileSync(new URL(`../../../test/fixtures/safetensors/${name}`, import.meta.url));
const SEEDS = ['clean_edge_cases.safetensors', 'duplicate_tensor_key.safetensors', 'overlapping_tensors.safetensors', 'metadata_not_strings.safetensors'].map(seed);
const LIMITS = { maxHeaderBytes: 4096, maxTensors: 50, maxDims: 8, maxViolations: 40 };

/** Facts or a typed error, never anything else; facts stay within the limits. */
async function check(bytes: Uint8Array): Promise<void> {
  let facts: SafetensorsFacts;
  try {
    facts = await parseSafetensors(bufferSource(bytes, 'fuzz.safetensors'), { limits: LIMITS });
  } catch (err) {
    expect(isBulwarkError(err, 'PARSE_ERROR')).toBe(true);
    return;
  }
  expect(facts.kind).toBe('safetensors');
  expect(facts.tensors.length).toBeLessThanOrEqual(LIMITS.maxTensors);
  expect(facts.violations.length).toBeLessThanOrEqual(LIMITS.maxViolations);
  // Every violation points into the file: the header, or the data buffer after it.
  for (const v of facts.violations) {
    expect(v.offset).toBeGreaterThanOrEqual(0);
    expect(v.offset).toBeLessThanOrEqual(bytes.length);
  }
  expect(facts.dataLength).toBeGreaterThanOrEqual(0);
}

const mutation = fc.oneof(
  fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }).map((m) => (b: Uint8Array) => {
    const c = Uint8Array.from(b);
    if (c.length > 0) c[m.at % c.length] = m.value;
    return c;
  }),
  fc.nat().map((at) => (b: Uint8Array) => b.subarray(0, at % (b.length + 1))),
  fc.record({ at: fc.nat(), text: fc.constantFrom('{', '}', '[', ']', ',', '"', ':', '-1', '1e9', '\\', '"dtype"', '"__metadata__"', '99999999999999999999') }).map(
    (m) => (b: Uint8Array) => {
      const at = m.at % (b.length + 1);
      return Buffer.concat([b.subarray(0, at), Buffer.from(m.text), b.subarray(at)]);
    },
  ),
);

describe('safetensors fuzz', () => {
  it('random bytes give facts or a typed error', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), check), { numRuns: 300 });
  });

  it('mutated fixtures give facts or a typed error', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...SEEDS), fc.array(mutation, { minLength: 1, maxLength: 6 }), async (s, muts) => {
        await check(muts.reduce((b, m) => m(b), s));
      }),
      { numRuns: 400 },
    );
  });
});
