import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { atLeast } from '../src/report/order.js';
import { BUILTIN_RULES } from '../src/rules/index.js';
import { scan } from '../src/scan/scan.js';
import { fixture, loadManifests, tempDir } from './helpers.js';
import { buildZip } from './zip-writer.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const latin1 = (s: string): Buffer => Buffer.from(s, 'latin1');

/** Positive cases that are not malicious files of their own (built here, by committed code). */
function writeSyntheticPositives(): string {
  const dir = join(tmp.dir, 'positives');
  mkdirSync(dir);
  // BW-PKL-002: a user class on neither list.
  writeFileSync(join(dir, 'custom-class.pkl'), latin1('\x80\x02cmylib.models\nNet\n)\x81.'));
  // BW-ARC-003: zip-slip member name.
  writeFileSync(join(dir, 'traversal.zip'), buildZip([{ name: '../outside.txt', data: 'x' }]));
  // BW-ARC-004: bytes before the archive.
  writeFileSync(join(dir, 'prefixed.zip'), buildZip([{ name: 'a.txt', data: 'x' }], { prefix: Uint8Array.from([0xde, 0xad, 0xbe, 0xef]) }));
  // BW-ONX-004: an ONNX model cut short.
  const onnx = readFileSync(fixture('onnx/clean_gemm_relu.onnx'));
  writeFileSync(join(dir, 'truncated.onnx'), onnx.subarray(0, Math.floor(onnx.length / 2)));
  return dir;
}

describe('rule coverage', () => {
  it('every built-in rule fires on some positive fixture, and on no benign fixture at medium or above', async () => {
    const manifests = loadManifests();
    const positivePaths = manifests.filter((e) => e.expect !== 'clean').map((e) => fixture(e.path));
    // Whole format folders too: their medium-only positives (not in the manifests) live there.
    const folders = ['safetensors', 'gguf', 'onnx', 'tensorflow', 'keras'].map((d) => fixture(d));
    const positives = await scan({ paths: [...positivePaths, ...folders, writeSyntheticPositives()] });
    const fired = new Set(positives.findings.map((f) => f.ruleId));
    expect(BUILTIN_RULES.map((r) => r.meta.id).filter((id) => !fired.has(id))).toEqual([]);

    const benignPaths = manifests.filter((e) => e.expect === 'clean').map((e) => fixture(e.path));
    const benign = await scan({ paths: [...benignPaths, new URL('../examples/model-zoo/classifier.pt', import.meta.url).pathname] });
    expect(benign.findings.filter((f) => atLeast(f.severity, 'medium'))).toEqual([]);
    expect(benign.complete).toBe(true);
  });
});
