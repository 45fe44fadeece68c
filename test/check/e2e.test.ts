import { spawnSync } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { cpSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers.js';
import { sarifSchemaErrors } from '../sarif-schema.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'dist/cli/bin.js');
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

const tmp = tempDir();

/** Runs the BUILT CLI in a child process. */
function bulwark(args: string[], env: Record<string, string> = {}): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ...env }, timeout: 120_000 });
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
}, 300_000);
afterAll(() => tmp.cleanup());

describe('bulwark check end to end (built CLI)', () => {
  it('passes the healthy fraud-detection project (exit 0) with every analyser, leaving its inputs untouched', () => {
    const before = digests(HEALTHY);
    const r = runScenario(HEALTHY, 'healthy');
    expect(r.json.reasons).toEqual([]);
    expect(r.json.verdict).toBe('pass');
    expect(r.code).toBe(0);
    expect(Object.fromEntries(r.json.analysers.map((a) => [a.kind, a.status]))).toMatchObject({ scan: 'pass', verify: 'pass', deps: 'pass' });
    expect(r.json.analysers.map((a) => a.kind)).toEqual(['scan', 'verify', 'data', 'drift', 'deps']);
    expect(digests(HEALTHY)).toEqual(before);
    // Evidence is portable: no absolute path of this checkout in any file.
    for (const f of ['evidence.json', 'verdict.json', 'bulwark.sarif', 'summary.md', ...readdirSync(join(r.evidence, 'reports')).map((x) => `reports/${x}`)]) {
      expect(readFileSync(join(r.evidence, f), 'utf8'), f).not.toContain(HEALTHY);
    }
  });

  it('prints the summary table for a pass', () => {
    const r = bulwark(['check', '--config', join(HEALTHY, 'bulwark.yaml'), '--evidence', join(tmp.dir, 'healthy-text')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^KIND\s+STATUS\s+C\/H\/M\/L\/I\s+METRICS$/m);
    for (const k of ['scan', 'verify', 'data', 'drift', 'deps']) expect(r.stdout).toMatch(new RegExp(`^${k}\\s+(pass|findings)`, 'm'));
    expect(r.stdout).toContain('verdict: PASS');
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
    // Vulnerable pin: torch 2.5.1, CVE-2025-32434.
    expect(rules).toContain('deps-no-known-vulnerabilities');
    expect(text).toContain('GHSA-53q9-r3pm-6pq6');
    expect(text).toContain('torch 2.5.1');
    // Leaked PII (card numbers in the note column).
    expect(rules).toContain('training-data-no-pii');
    expect(text).toContain('BW-PII-');
    // Locations are project-relative.
    expect(text).toContain('in model/model.joblib');
    expect(text).not.toContain(COMPROMISED);
    expect(digests(COMPROMISED)).toEqual(before);
  });

  it('names the leaked PII in the compromised training data', () => {
    const r = runScenario(COMPROMISED, 'pii');
    const data = JSON.parse(readFileSync(join(r.evidence, 'reports', 'data.json'), 'utf8')) as { rules: { id: string }[]; metrics: Record<string, number> };
    expect(data.rules.some((x) => x.id.startsWith('BW-PII-'))).toBe(true);
    expect(data.metrics.pii_rate).toBeGreaterThan(0.01);
    expect(r.json.reasons.map((x) => x.rule)).toContain('training-data-no-pii');
  });

  it('`init --stdout` writes a project file that check accepts and the starter policy passes', () => {
    const project = join(tmp.dir, 'init-project');
    cpSync(HEALTHY, project, { recursive: true, filter: (src) => !src.includes('bulwark-evidence') });
    const init = bulwark(['init', project, '--stdout']);
    expect(init.code).toBe(0);
    writeFileSync(join(project, 'bulwark.yaml'), init.stdout);
    const r = bulwark(['check', '--config', join(project, 'bulwark.yaml'), '--format', 'json']);
    const json = JSON.parse(r.stdout) as CheckJson;
    expect(json.reasons).toEqual([]);
    expect(json.verdict).toBe('pass');
    expect(r.code).toBe(0);
    const verdict = JSON.parse(readFileSync(join(project, 'bulwark-evidence', 'verdict.json'), 'utf8')) as { policy: { source: string } };
    expect(verdict.policy.source).toBe('bulwark:policies/starter.yaml');
  });

  it('signs the evidence with signing.key, the password read from the environment variable the file names', () => {
    const project = join(tmp.dir, 'signed-project');
    cpSync(HEALTHY, project, { recursive: true, filter: (src) => !src.includes('bulwark-evidence') });
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    writeFileSync(join(tmp.dir, 'attest.pub.pem'), publicKey.export({ type: 'spki', format: 'pem' }));
    writeFileSync(join(project, 'attest.key.pem'), privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw-from-env' }));
    writeFileSync(join(project, 'bulwark.yaml'), `${readFileSync(join(HEALTHY, 'bulwark.yaml'), 'utf8')}\nsigning:\n  key: attest.key.pem\n  passwordEnv: FRAUD_ATTEST_PW\n`);
    const unset = bulwark(['check', '--config', join(project, 'bulwark.yaml')]);
    expect(unset.code).toBe(2);
    expect(unset.stderr).toContain('FRAUD_ATTEST_PW');
    const r = bulwark(['check', '--config', join(project, 'bulwark.yaml')], { FRAUD_ATTEST_PW: 'pw-from-env' });
    expect(r.code).toBe(0);
    expect(readdirSync(join(project, 'bulwark-evidence', 'attestations')).sort()).toEqual(['data.sigstore.json', 'deps.sigstore.json', 'drift.sigstore.json', 'scan.sigstore.json', 'verify.sigstore.json']);
    // The evidence re-evaluated offline (attestations verified with the public key) gives the same verdict.
    const again = bulwark(['policy', 'eval', join(project, 'bulwark-evidence'), '--policy', join(project, 'policy.yaml'), '--key', join(tmp.dir, 'attest.pub.pem')]);
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
  });

  it('writes an evidence directory whose merged SARIF validates against SARIF 2.1.0', () => {
    const r = runScenario(COMPROMISED, 'sarif');
    const files = readdirSync(r.evidence).sort();
    expect(files).toEqual(expect.arrayContaining(['bulwark.sarif', 'reports', 'summary.md', 'verdict.json']));
    const sarif = JSON.parse(readFileSync(join(r.evidence, 'bulwark.sarif'), 'utf8')) as { runs: { results: { ruleId: string }[] }[] };
    expect(sarifSchemaErrors(sarif)).toEqual([]);
    expect(sarif.runs.flatMap((run) => run.results.map((x) => x.ruleId))).toEqual(expect.arrayContaining(['BW-PKL-001', 'BW-SIG-001', 'BW-DRF-002', 'GHSA-53q9-r3pm-6pq6']));
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
