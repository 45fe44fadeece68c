import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/io.js';
import { auditDependencies, DEPS_RULES, defaultOsvDbDir } from '../../src/deps/index.js';
import { renderSarif, type Finding, type Report } from '../../src/report/index.js';
import { fixture, runBulwark, tempDir, type CliRun } from '../helpers.js';
import { sarifSchemaErrors } from '../sarif-schema.js';

const PROJECT = fixture('deps/ml-project');
const JSON_DB = fixture('deps/osv/json');
const ZIP_DB = fixture('deps/osv/zip');

let cleanups: (() => void)[] = [];
afterEach(() => {
  cleanups.forEach((c) => c());
  cleanups = [];
});
function tmp(): string {
  const t = tempDir();
  cleanups.push(t.cleanup);
  return t.dir;
}

function summary(report: Report): string[] {
  return report.findings.map((f) => `${f.ruleId} ${f.severity} ${f.location.uri} ${String(f.evidence?.package)}@${String(f.evidence?.version ?? '')}`).sort();
}
function find(report: Report, ruleId: string, pkg: string): Finding[] {
  return report.findings.filter((f) => f.ruleId === ruleId && f.evidence?.package === pkg);
}

describe('auditDependencies on the fixture ML project', () => {
  it('reports exactly the expected vulnerabilities, unpinned and unresolvable requirements', async () => {
    const report = await auditDependencies({ path: PROJECT, osvDb: JSON_DB });
    expect(report.errors).toEqual([]);
    expect(report.complete).toBe(true);
    expect(report.kind).toBe('deps');
    expect(summary(report)).toEqual(
      [
        'BW-DEP-001 medium environment.yml scikit-learn@',
        'BW-DEP-001 medium requirements.txt accelerate@',
        'BW-DEP-001 medium requirements.txt datasets@',
        'BW-DEP-002 low requirements.txt custom_ops@0.3.1',
        'BW-DEP-002 low requirements.txt feature_store@',
        'GHSA-37q5-v5qm-c9v8 low research/uv.lock transformers@4.36.2',
        'GHSA-53q9-r3pm-6pq6 critical environment.yml torch@2.5.1',
        'GHSA-53q9-r3pm-6pq6 critical requirements.txt torch@2.5.1+cu121',
        'GHSA-8q59-q68h-6hv4 critical notebooks/Pipfile.lock pyyaml@5.3.1',
        'GHSA-8q59-q68h-6hv4 critical requirements/base.txt PyYAML@5.3.1',
        'GHSA-gw97-ff7c-9v96 critical requirements.txt tensorflow@2.11.0',
        'GHSA-qwcr-r2fm-qrc7 high web/package-lock.json body-parser@1.20.2',
      ].sort(),
    );
    expect(report.metrics).toMatchObject({ vulnerabilities: 5, vulnerable_packages: 6, critical: 5, high: 1, low: 1, unpinned: 3, unresolvable: 2, lockfiles: 6, osv_records: 9, osv_withdrawn: 1 });
    expect(report.metrics?.dependencies).toBeGreaterThan(20);
    expect(report.subjects.map((s) => s.name)).toEqual([
      'constraints.txt',
      'environment.yml',
      'notebooks/Pipfile.lock',
      'poetry.lock',
      'requirements.txt',
      'requirements/base.txt',
      'research/uv.lock',
      'web/package-lock.json',
    ]);
    expect(report.subjects.every((s) => /^[0-9a-f]{64}$/.test(s.digest.sha256))).toBe(true);
  });

  it('torch 2.5.1+cu121 is flagged with the fix version; torch 2.6.0 is not', async () => {
    const report = await auditDependencies({ path: PROJECT, osvDb: JSON_DB });
    const [torch] = find(report, 'GHSA-53q9-r3pm-6pq6', 'torch').filter((f) => f.location.uri === 'requirements.txt');
    expect(torch?.message).toBe(
      'torch 2.5.1+cu121 (requirements.txt:7) is affected by GHSA-53q9-r3pm-6pq6 (also CVE-2025-32434): PyTorch: `torch.load` with `weights_only=True` leads to remote code execution; fixed in 2.6.0.',
    );
    expect(torch?.evidence).toMatchObject({ line: 7, fixed: '2.6.0', severity_basis: 'database_specific', purl: 'pkg:pypi/torch@2.5.1%2Bcu121' });
    expect(report.findings.some((f) => f.location.uri === 'poetry.lock')).toBe(false);
    const rule = report.rules.find((r) => r.id === 'GHSA-53q9-r3pm-6pq6');
    expect(rule).toMatchObject({ helpUri: 'https://osv.dev/vulnerability/GHSA-53q9-r3pm-6pq6', severity: 'critical', title: expect.stringContaining('torch.load') as unknown });
    expect(rule?.tags).toContain('cwe-502');
  });

  it('an aliased PYSEC + GHSA pair is one finding under the GHSA id, the others named', async () => {
    const report = await auditDependencies({ path: PROJECT, osvDb: JSON_DB });
    const yaml = report.findings.filter((f) => f.location.uri === 'requirements/base.txt');
    expect(yaml).toHaveLength(1);
    expect(yaml[0]?.message).toContain('(also CVE-2020-14343, PYSEC-2021-142)');
    expect(yaml[0]?.evidence).toMatchObject({ records: 'GHSA-8q59-q68h-6hv4,PYSEC-2021-142', cvss_score: 9.8, fixed: '5.4' });
    expect(report.findings.some((f) => f.ruleId === 'PYSEC-2021-142' || f.ruleId === 'GHSA-6757-jp84-gxfx')).toBe(false);
  });

  it('a withdrawn record is never reported', async () => {
    const report = await auditDependencies({ path: PROJECT, osvDb: JSON_DB });
    expect(report.findings.some((f) => f.evidence?.package === 'numpy')).toBe(false);
    expect(report.rules.some((r) => r.id === 'BULWARK-TEST-2025-0001')).toBe(false);
  });

  it('the all.zip layout gives the same report', async () => {
    const a = await auditDependencies({ path: PROJECT, osvDb: JSON_DB });
    const b = await auditDependencies({ path: PROJECT, osvDb: ZIP_DB });
    expect(b.findings).toEqual(a.findings);
  });

  it('is deterministic and its SARIF validates against the official schema', async () => {
    const a = await auditDependencies({ path: PROJECT, osvDb: JSON_DB });
    const b = await auditDependencies({ path: PROJECT, osvDb: JSON_DB });
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    const sarif = JSON.parse(renderSarif(a)) as unknown;
    expect(sarifSchemaErrors(sarif)).toEqual([]);
  });

  it('audits a single lockfile', async () => {
    const report = await auditDependencies({ path: join(PROJECT, 'web/package-lock.json'), osvDb: JSON_DB });
    expect(summary(report)).toEqual(['GHSA-qwcr-r2fm-qrc7 high package-lock.json body-parser@1.20.2']);
    expect(report.subjects.map((s) => s.name)).toEqual(['package-lock.json']);
  });

  it('audits several paths, naming files relative to their common folder', async () => {
    const report = await auditDependencies({ path: [join(PROJECT, 'web/package-lock.json'), join(PROJECT, 'notebooks'), join(PROJECT, 'web/package-lock.json')], osvDb: JSON_DB });
    expect(summary(report)).toEqual(['GHSA-8q59-q68h-6hv4 critical notebooks/Pipfile.lock pyyaml@5.3.1', 'GHSA-qwcr-r2fm-qrc7 high web/package-lock.json body-parser@1.20.2']);
    expect(report.subjects.map((s) => s.name)).toEqual(['notebooks/Pipfile.lock', 'web/package-lock.json']);
  });

  it('negative: a clean project has no findings', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'requirements.txt'), 'torch==2.6.0\npyyaml==6.0.2\ntransformers==4.48.0\n');
    const report = await auditDependencies({ path: dir, osvDb: JSON_DB });
    expect(report.findings).toEqual([]);
    expect(report.complete).toBe(true);
    expect(report.metrics).toMatchObject({ dependencies: 3, direct_dependencies: 3, vulnerabilities: 0, unpinned: 0 });
  });

  it('an unparsable lockfile and bad lines are report errors, not crashes', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'requirements.txt'), 'torch==2.5.1\nnot a requirement!!\n');
    writeFileSync(join(dir, 'package-lock.json'), '{ nope');
    const report = await auditDependencies({ path: dir, osvDb: JSON_DB });
    expect(report.complete).toBe(false);
    expect(report.errors).toEqual([
      expect.objectContaining({ uri: 'package-lock.json', code: 'PARSE_ERROR' }),
      expect.objectContaining({ uri: 'requirements.txt', code: 'PARSE_ERROR', message: expect.stringContaining('line 2') as unknown }),
    ]);
    expect(find(report, 'GHSA-53q9-r3pm-6pq6', 'torch')).toHaveLength(1);
  });

  it('DEPS_RULES are the BW rules', () => {
    expect(DEPS_RULES.map((r) => r.id)).toEqual(['BW-DEP-001', 'BW-DEP-002']);
  });
});

/** Runs `bulwark deps ...` through the registered CLI. */
function runDeps(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return runBulwark(['deps', ...args], env);
}

describe('bulwark deps (CLI)', () => {
  it('fails on high findings by default, prints text, exits 0 with --fail-on none', async () => {
    const r = await runDeps([PROJECT, '--osv-db', JSON_DB]);
    expect(r.code).toBe(EXIT.FINDINGS);
    expect(r.stdout).toContain('GHSA-53q9-r3pm-6pq6');
    expect((await runDeps([PROJECT, '--osv-db', JSON_DB, '--fail-on', 'none'])).code).toBe(EXIT.PASS);
    const clean = tmp();
    writeFileSync(join(clean, 'requirements.txt'), 'torch\n');
    expect((await runDeps([clean, '--osv-db', JSON_DB])).code).toBe(EXIT.PASS); // unpinned is medium
    expect((await runDeps([clean, '--osv-db', JSON_DB, '--fail-on', 'medium'])).code).toBe(EXIT.FINDINGS);
  });

  it('writes JSON and SARIF to --output atomically', async () => {
    const dir = tmp();
    const out = join(dir, 'deps.sarif');
    const r = await runDeps([PROJECT, '--osv-db', ZIP_DB, '--format', 'sarif', '--output', out]);
    expect(r.code).toBe(EXIT.FINDINGS);
    expect(sarifSchemaErrors(JSON.parse(readFileSync(out, 'utf8')))).toEqual([]);
    const j = await runDeps([PROJECT, '--osv-db', JSON_DB, '--format', 'json']);
    expect((JSON.parse(j.stdout) as Report).kind).toBe('deps');
  });

  it('without a database: a USAGE error telling the user to import one', async () => {
    const home = tmp();
    const r = await runDeps([PROJECT], { HOME: home });
    expect(r.code).toBe(EXIT.USAGE);
    expect(r.stderr).toContain('bulwark deps db import');
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+/);
  });

  it('db import fills the default database, then --osv-db can be omitted', async () => {
    const home = tmp();
    const env = { BULWARK_HOME: join(home, 'bw') };
    const imp = await runDeps(['db', 'import', join(ZIP_DB, 'PyPI', 'all.zip'), join(ZIP_DB, 'npm', 'all.zip')], env);
    expect(imp).toMatchObject({ code: EXIT.PASS });
    expect(imp.stderr).toContain('imported 9 record(s)');
    const r = await runDeps([PROJECT, '--format', 'json'], env);
    expect(r.code).toBe(EXIT.FINDINGS);
    expect((JSON.parse(r.stdout) as Report).metrics?.vulnerabilities).toBe(5);
  });

  it('db import without a file is a usage error (commander, through run.ts)', async () => {
    expect((await runDeps(['db', 'import'])).code).toBe(EXIT.USAGE);
  });

  it('runs through the registered CLI (run.ts)', async () => {
    const r = await runBulwark(['deps', join(PROJECT, 'research/uv.lock'), '--osv-db', JSON_DB, '--format', 'json', '--fail-on', 'low']);
    expect(r.code).toBe(EXIT.FINDINGS);
    expect((JSON.parse(r.stdout) as Report).findings.map((f) => f.ruleId)).toEqual(['GHSA-37q5-v5qm-c9v8']);
    expect((await runBulwark(['deps', PROJECT], { HOME: tmp() })).code).toBe(EXIT.USAGE);
  });

  it('default database location follows BULWARK_HOME, XDG_CACHE_HOME, HOME', () => {
    expect(defaultOsvDbDir({ BULWARK_HOME: '/b', XDG_CACHE_HOME: '/x', HOME: '/h' })).toBe('/b/osv');
    expect(defaultOsvDbDir({ XDG_CACHE_HOME: '/x', HOME: '/h' })).toBe('/x/bulwark/osv');
    expect(defaultOsvDbDir({ HOME: '/h' })).toBe('/h/.cache/bulwark/osv');
    expect(defaultOsvDbDir({})).toBeUndefined();
  });

  it('a missing project path is a usage error naming it', async () => {
    const r = await runDeps([join(tmp(), 'missing'), '--osv-db', JSON_DB]);
    expect(r.code).toBe(EXIT.USAGE);
    expect(r.stderr).toContain('missing');
  });

  it('copies of the fixture project stay auditable from another place', async () => {
    const dir = tmp();
    cpSync(PROJECT, dir, { recursive: true });
    const r = await runDeps([dir, '--osv-db', JSON_DB, '--format', 'json', '--fail-on', 'none']);
    expect((JSON.parse(r.stdout) as Report).findings).toHaveLength(12);
  });
});
