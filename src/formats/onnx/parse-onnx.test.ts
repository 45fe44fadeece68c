import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isBulwarkError } from '../../errors.js';
import { bufferSource } from '../../io/byte-source.js';
import { DEFAULT_LIMITS, type Limits } from '../../io/limits.js';
import type { OnnxFacts } from './facts.js';
import { externalLocationIssues, parseOnnx, sniffOnnx } from './parse-onnx.js';

const dir = new URL('../../../test/fixtures/onnx/', import.meta.url);
const FIXTURES = ['clean_gemm_relu.onnx', 'clean_external_data.onnx', 'clean_if_subgraph.onnx', 'external_traversal.onnx', 'if_subgraph_bad_external.onnx', 'custom_domain_op.onnx', 'size_mismatch.onnx'];
const seeds = FIXTURES.map((f) => Uint8Array.from(readFileSync(new URL(f, dir))));

/** A deterministic pseudo-random generator (xorshift32), so the rates below are reproducible. */
function randomHeads(n: number, len: number, seed = 0x9e3779b9): Uint8Array[] {
  let s = seed;
  const next = (): number => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
  return Array.from({ length: n }, () => Uint8Array.from({ length: len }, () => next() & 0xff));
}

describe('sniffOnnx', () => {
  it('recognises every fixture, with or without the .onnx name', () => {
    for (const [i, b] of seeds.entries()) {
      expect(sniffOnnx(b.subarray(0, 512), FIXTURES[i] ?? '', b.length)).toBe(true);
      expect(sniffOnnx(b.subarray(0, 512), 'renamed.bin', b.length)).toBe(true);
    }
  });

  it('rejects other formats and almost all random bytes', () => {
    expect(sniffOnnx(new TextEncoder().encode('PK\u0003\u0004'), 'm.onnx')).toBe(false);
    expect(sniffOnnx(Uint8Array.from([0x80, 0x02, 0x63]), 'm.onnx')).toBe(false);
    expect(sniffOnnx(new Uint8Array(0), 'm.onnx')).toBe(false);
    const heads = randomHeads(20_000, 512);
    const named = heads.filter((h) => sniffOnnx(h, 'x.onnx', 1 << 30)).length;
    const unnamed = heads.filter((h) => sniffOnnx(h, 'x.bin', 1 << 30)).length;
    // Measured: 0 of 20 000 either way (documented in the sniff's TSDoc).
    expect(named).toBeLessThanOrEqual(20);
    expect(unnamed).toBe(0);
  });
});

describe('externalLocationIssues', () => {
  it('flags every way out of the model directory and accepts plain relative names', () => {
    expect(externalLocationIssues('weights.bin')).toEqual([]);
    expect(externalLocationIssues('data/weights.bin')).toEqual([]);
    expect(externalLocationIssues('..weights')).toEqual([]);
    expect(externalLocationIssues('../x')).toEqual(['parent-segment']);
    expect(externalLocationIssues('a\\..\\..\\x')).toEqual(['parent-segment']);
    expect(externalLocationIssues('/etc/passwd')).toEqual(['absolute']);
    expect(externalLocationIssues('C:\\Windows\\win.ini')).toEqual(['windows-drive']);
    expect(externalLocationIssues('\\\\host\\share\\x')).toEqual(['unc']);
    expect(externalLocationIssues('//host/share/x')).toEqual(['unc']);
    expect(externalLocationIssues('file:///etc/passwd')).toEqual(['url']);
    expect(externalLocationIssues('~/.ssh/id_rsa')).toEqual(['home-relative']);
    expect(externalLocationIssues('w.bin\u0000.txt')).toEqual(['nul-byte']);
    expect(externalLocationIssues('')).toEqual(['empty']);
  });
});

describe('parseOnnx', () => {
  it('reports a file that is not a model as malformed facts, not an exception', async () => {
    const facts = await parseOnnx(bufferSource(Uint8Array.from([0x08, 0x07, 0x12, 0x40, 0x61]), 'cut.onnx'), { limits: DEFAULT_LIMITS });
    expect(facts.irVersion).toBe(7);
    expect(facts.error?.message).toMatch(/^cut\.onnx: malformed protobuf at offset 2: field 2 declares 64 bytes/);
    const empty = await parseOnnx(bufferSource(new Uint8Array(0), 'empty.onnx'), { limits: DEFAULT_LIMITS });
    expect(empty.error?.message).toMatch(/empty\.onnx: .*expected a ModelProto with a graph \(field 7\)/);
  });

  it('still judges the nodes of a truncated model', async () => {
    const b = seeds[4] ?? new Uint8Array(0);
    const facts = await parseOnnx(bufferSource(b.subarray(0, b.length - 30), 'cut.onnx'), { limits: DEFAULT_LIMITS });
    expect(facts.error).toBeDefined();
    expect(facts.tensors.some((t) => t.external?.location === '../../../../root/.ssh/id_rsa')).toBe(true);
  });

  it('stops subgraph recursion at the depth limit with LIMIT_EXCEEDED', async () => {
    // graph(7) { node(1) { attribute(5) { g(6) { node { attribute { g { ... } } } } } } }, 150 levels.
    let inner: Uint8Array = new Uint8Array(0);
    const wrap = (field: number, payload: Uint8Array): Uint8Array => {
      const len: number[] = [];
      let n = payload.length;
      do {
        len.push((n & 0x7f) | (n > 0x7f ? 0x80 : 0));
        n >>>= 7;
      } while (n > 0);
      return Uint8Array.from([field * 8 + 2, ...len, ...payload]);
    };
    for (let i = 0; i < 150; i++) inner = wrap(1, wrap(5, wrap(6, inner)));
    const model = Uint8Array.from([0x08, 0x07, ...wrap(7, inner)]);
    let err: unknown;
    try {
      await parseOnnx(bufferSource(model, 'deep.onnx'), { limits: DEFAULT_LIMITS });
    } catch (e) {
      err = e;
    }
    expect(isBulwarkError(err, 'LIMIT_EXCEEDED')).toBe(true);
    expect((err as Error).message).toMatch(/^deep\.onnx: /);
  });

  it('does not look up unsafe locations beside the model', async () => {
    const asked: string[] = [];
    await parseOnnx(bufferSource(seeds[3] ?? new Uint8Array(0), 'external_traversal.onnx'), {
      limits: DEFAULT_LIMITS,
      resolveSibling: (l) => {
        asked.push(l);
        return Promise.resolve(undefined);
      },
    });
    expect(asked).toEqual([]);
  });

  it('marks symlinked and escaping siblings', async () => {
    const facts = await parseOnnx(bufferSource(seeds[1] ?? new Uint8Array(0), 'clean_external_data.onnx'), {
      limits: DEFAULT_LIMITS,
      resolveSibling: () => Promise.resolve({ size: 10, symlink: true, escapes: true }),
    });
    expect(facts.tensors[0]?.external?.locationIssues).toEqual(['symlink', 'escapes-directory']);
  });
});

const FUZZ_LIMITS: Limits = { ...DEFAULT_LIMITS, maxDepth: 20, timeoutMs: 2_000 };

function checkFacts(facts: OnnxFacts, size: number): void {
  expect(facts.kind).toBe('onnx');
  for (const t of facts.tensors) expect(t.offset >= 0 && t.offset < size).toBe(true);
  for (const o of facts.operators) expect(o.offset >= 0 && o.offset < size).toBe(true);
  if (facts.error) expect(facts.error.offset >= 0 && facts.error.offset <= size).toBe(true);
}

async function parseAny(b: Uint8Array): Promise<void> {
  try {
    checkFacts(await parseOnnx(bufferSource(b, 'fuzz.onnx'), { limits: FUZZ_LIMITS, resolveSibling: () => Promise.resolve({ size: 100 }) }), b.length);
  } catch (err) {
    expect(isBulwarkError(err, 'LIMIT_EXCEEDED'), String(err)).toBe(true);
  }
}

describe('parseOnnx fuzzing', () => {
  it('gives facts or a typed error on random bytes', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 2048 }), parseAny), { numRuns: 300 });
  });

  it('gives facts or a typed error on mutated real models', async () => {
    const mutation = fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('set', 'cut', 'insert'));
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...seeds), fc.array(mutation, { minLength: 1, maxLength: 6 }), async (seed, muts) => {
        let b = Uint8Array.from(seed);
        for (const [at, v, kind] of muts) {
          const i = at % Math.max(1, b.length);
          if (kind === 'set') b[i] = v;
          else if (kind === 'cut') b = b.subarray(0, i);
          else b = Uint8Array.from([...b.subarray(0, i), v, ...b.subarray(i)]);
        }
        await parseAny(b);
      }),
      { numRuns: 500 },
    );
  });
});
