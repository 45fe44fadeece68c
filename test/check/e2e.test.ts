import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UNAVAILABLE_ANALYSERS } from '../../src/check/index.js';
import { tempDir } from '../helpers.js';
import { sarifSchemaErrors } from '../sarif-schema.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'dist/cli/bin.js');
const FALLBACK = join(ROOT, 'test/check/run-built-check.mjs');
const HEALTHY = join(ROOT, 'examples/fraud-detection');
const COMPROMISED = join(ROOT, 'examples/fraud-detection-compromised');

interface CheckJson {
  verdict: 'pass' | 'fail' | 'incomplete';
  reasons: { rule: string; kind?: string; message: string }[];
  analysers: { kind: string; status: string }[];
}

/** sha256 of every file under `dir` (the inputs must not change). */
function digests(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (name === 'bulwark-evidence') continue;
      if (statSync(p).isDirectory()) walk(p);
      else out[p] = createHash('sha256').update(readFileSync(p)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

let entry: string[] = [];
const tmp = tempDir();

/** Runs the BUILT CLI in a child process. */
function bulwark(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [...entry, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 120_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function runScenario(dir: string, name: string): { code: number; json: CheckJson; evidence: string; stderr: string } {
  const evidence = join(tmp.dir, name);
  const r = bulwark(['check', '--config', join(dir, 'bulwark.yaml'), '--evidence', evidence, '--format', 'json']);
  return { code: r.code, json: JSON.parse(r.stdout) as CheckJson, evidence, stderr: r.stderr };
}

beforeAll(() => {
  // Build dist/ from the current sources (tsc emits even when another folder has type errors; the
  // type check proper is `npm run typecheck`).
  spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'ignore' });
  // `bulwark check` through bin.js once it is registered in src/cli/run.ts; until then the same
  // built command mounted by a stand-in entry point.
  entry = /^\s+check \[options\]/m.test(spawnSync(process.execPath, [BIN, '--help'], { encoding: 'utf8' }).stdout) ? [BIN] : [FALLBACK];
}, 300_000);
afterAll(() => tmp.cleanup());

const pending = UNAVAILABLE_ANALYSERS.filter((k) => k === 'data' || k === 'drift');

describe('bulwark check end to end (built CLI)', () => {
  it.skipIf(pending.length > 0)('passes the healthy fraud-detection project (exit 0), leaving its inputs untouched', () => {
    const before = digests(HEALTHY);
    const r = runScenario(HEALTHY, 'healthy');
    expect(r.json.reasons).toEqual([]);
    expect(r.json.verdict).toBe('pass');
    expect(r.code).toBe(0);
    expect(digests(HEALTHY)).toEqual(before);
  });

  it('healthy project: scan and signature pass; an analyser not in this build is never a pass', () => {
    const r = runScenario(HEALTHY, 'healthy-partial');
    const status = Object.fromEntries(r.json.analysers.map((a) => [a.kind, a.status]));
    expect(status.scan).toBe('pass');
    expect(status.verify).toBe('pass');
    for (const k of pending) expect(status[k]).toBe('error');
    if (pending.length > 0) expect(r.json.verdict).not.toBe('pass');
    expect(r.json.reasons.map((x) => x.rule)).not.toContain('model-signed-by-release');
  });

  it('fails the compromised project (exit 1) naming each planted problem', () => {
    const before = digests(COMPROMISED);
    const r = runScenario(COMPROMISED, 'compromised');
    expect(r.code).toBe(1);
    expect(r.json.verdict).toBe('fail');
    const text = JSON.stringify(r.json.reasons);
    const rules = r.json.reasons.map((x) => x.rule);
    // Poisoned model: the inert os.system REDUCE.
    expect(rules).toContain('model-no-code-execution');
    expect(text).toContain('BW-PKL-001');
    expect(text).toContain('os.system');
    // Model swapped after signing.
    expect(rules).toContain('model-signed-by-release');
    expect(text).toContain('BW-SIG-001');
    // Drift in the current data.
    expect(rules).toContain('no-dataset-drift');
    expect(text).toContain('BW-DRF-002');
    expect(digests(COMPROMISED)).toEqual(before);
  });

  it('names the leaked PII in the compromised training data', (ctx) => {
    const r = runScenario(COMPROMISED, 'pii');
    const data = JSON.parse(readFileSync(join(r.evidence, 'reports', 'data.json'), 'utf8')) as { rules: { id: string }[] };
    // PII detectors (src/data/detect) plug into the data analyser separately; until they do, the
    // data report carries no BW-PII rule and there is nothing to name.
    if (!data.rules.some((x) => x.id.startsWith('BW-PII-'))) ctx.skip();
    expect(r.json.reasons.map((x) => x.rule)).toContain('training-data-no-pii');
  });

  it('writes an evidence directory whose merged SARIF validates against SARIF 2.1.0', () => {
    const r = runScenario(COMPROMISED, 'sarif');
    const files = readdirSync(r.evidence).sort();
    expect(files).toEqual(expect.arrayContaining(['bulwark.sarif', 'reports', 'summary.md', 'verdict.json']));
    const sarif = JSON.parse(readFileSync(join(r.evidence, 'bulwark.sarif'), 'utf8')) as { runs: { results: { ruleId: string }[] }[] };
    expect(sarifSchemaErrors(sarif)).toEqual([]);
    expect(sarif.runs.flatMap((run) => run.results.map((x) => x.ruleId))).toEqual(expect.arrayContaining(['BW-PKL-001', 'BW-SIG-001']));
    expect((JSON.parse(readFileSync(join(r.evidence, 'verdict.json'), 'utf8')) as { verdict: string }).verdict).toBe('fail');
  });

  it('text summary, usage errors exit 2 and name the field', () => {
    const ok = bulwark(['check', '--config', join(COMPROMISED, 'bulwark.yaml'), '--evidence', join(tmp.dir, 'text')]);
    expect(ok.stdout).toContain('verdict: FAIL');
    expect(ok.stdout).toMatch(/^KIND\s+STATUS/m);
    expect(ok.stdout).not.toContain('\u001b[');
    const missing = bulwark(['check', '--config', join(tmp.dir, 'nope.yaml')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.yaml');
  });
});
