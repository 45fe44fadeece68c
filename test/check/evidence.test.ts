import { cpSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { initProject, portableReport, projectPath, runCheck, STARTER_POLICY_SOURCE, type Analyser, type PolicyGate } from '../../src/check/index.js';
import { readEvidence, verifyEvidenceAttestations } from '../../src/evidence/index.js';
import type { Report } from '../../src/report/types.js';
import { tempDir } from '../helpers.js';

const EXAMPLE = fileURLToPath(new URL('../../examples/fraud-detection/', import.meta.url));
const CLOCK = (): Date => new Date('2026-11-21T12:00:00Z');

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});
function dir(): string {
  const t = tempDir();
  cleanups.push(t.cleanup);
  return t.dir;
}

function report(kind: string, root: string, over: Partial<Report> = {}): Report {
  return {
    schemaVersion: 1,
    kind,
    tool: { name: 'bulwark', version: 'test' },
    target: `${root}/model`,
    subjects: [{ name: `${root}/model/w.pkl`, digest: { sha256: 'a'.repeat(64) } }],
    rules: [],
    findings: [
      { ruleId: 'BW-PKL-001', severity: 'critical', message: `os.system in ${root}/model/w.pkl`, location: { uri: `${root}/model/w.pkl`, offset: 12 }, evidence: { callable: 'os.system', offset: 12 }, fingerprint: 'x'.repeat(32) },
      { ruleId: 'BW-PKL-001', severity: 'critical', message: 'again', location: { uri: `${root}/model/w.pkl`, offset: 40 }, evidence: { callable: 'os.system', offset: 40 }, fingerprint: 'y'.repeat(32) },
    ],
    errors: [{ uri: `${root}/data/x.csv`, code: 'FILE_UNREADABLE', message: `${root}/data/x.csv: EACCES` }],
    skipped: [{ uri: `${root}/model/README.md`, reason: 'not a model' }],
    complete: true,
    ...over,
  };
}

describe('portable reports (project-relative evidence)', () => {
  it('names files relative to the project root, with the same fingerprints in any checkout', () => {
    const a = portableReport(report('scan', '/home/ci/work/proj'), '/home/ci/work/proj');
    const b = portableReport(report('scan', '/tmp/elsewhere/proj'), '/tmp/elsewhere/proj');
    expect(a).toEqual(b);
    expect(a.target).toBe('model');
    expect(a.subjects[0]?.name).toBe('model/w.pkl');
    expect(a.findings.map((f) => f.location.uri)).toEqual(['model/w.pkl', 'model/w.pkl']);
    expect(a.findings[0]?.message).toBe('os.system in model/w.pkl');
    expect(a.errors[0]).toEqual({ uri: 'data/x.csv', code: 'FILE_UNREADABLE', message: 'data/x.csv: EACCES' });
    expect(a.skipped[0]?.uri).toBe('model/README.md');
    // Repeats stay distinct; offsets (numbers) are not part of the identity.
    const [f1, f2] = a.findings;
    expect(f1?.fingerprint).not.toBe(f2?.fingerprint);
    expect(f1?.fingerprint).toMatch(/^[0-9a-f]{32}$/);
    expect(JSON.stringify(a)).not.toContain('/home/ci');
  });

  it('leaves paths outside the root relative with .. and relative paths alone', () => {
    expect(projectPath('/p/q', '/p/q')).toBe('.');
    expect(projectPath('/p/q', '/p/other/f')).toBe('../other/f');
    expect(projectPath('/p/q', 'already/relative')).toBe('already/relative');
  });
});

describe('runCheck evidence directory', () => {
  function project(extra = ''): { root: string; file: string } {
    const root = dir();
    writeFileSync(join(root, 'bulwark.yaml'), `version: 1\nmodels: [{ path: a }, { path: b }]\n${extra}`);
    return { root, file: join(root, 'bulwark.yaml') };
  }
  // Two verify reports (one per model) and a scan: the real writer must keep both verify reports.
  const analysers = (root: string): Analyser[] => [
    { kind: 'scan', title: 'scan', configured: () => true, run: () => Promise.resolve(report('scan', root, { findings: [] })) },
    {
      kind: 'verify',
      title: 'signature',
      configured: () => true,
      run: () => Promise.resolve([report('verify', root, { target: `${root}/a`, findings: [] }), report('verify', root, { target: `${root}/b`, findings: [] })]),
    },
  ];
  const passGate: PolicyGate = { evaluate: () => Promise.resolve({ verdict: 'pass', reasons: [] }) };

  it('writes every report (verify, verify-2), SARIF, summaries, verdict and manifest', async () => {
    const { root, file } = project();
    const ev = join(dir(), 'evidence');
    const r = await runCheck({ configPath: file, evidenceDir: ev, analysers: analysers(root), gate: passGate, clock: CLOCK });
    expect(r.verdict.verdict).toBe('pass');
    expect(readdirSync(ev).sort()).toEqual(['bulwark.sarif', 'evidence.json', 'reports', 'summary.html', 'summary.md', 'verdict.json']);
    expect(readdirSync(join(ev, 'reports')).sort()).toEqual(['scan.json', 'verify-2.json', 'verify.json']);
    const loaded = await readEvidence(ev);
    expect(loaded.reports.map((x) => x.target).sort()).toEqual(['a', 'b', 'model']);
    expect(loaded.verdict?.verdict).toBe('pass');
    expect(loaded.manifest.generatedAt).toBe('2026-11-21T12:00:00.000Z');
    expect(readFileSync(join(ev, 'evidence.json'), 'utf8')).not.toContain(root);
  });

  it('signs an attestation per report with signing.key (password from the caller), verifiable with the public key', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const { root, file } = project('signing: { key: attest.key.pem, passwordEnv: ATTEST_PW }\n');
    writeFileSync(join(root, 'attest.key.pem'), privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 's3cret' }));
    const ev = join(dir(), 'evidence');
    await runCheck({ configPath: file, evidenceDir: ev, analysers: analysers(root), gate: passGate, clock: CLOCK, signingPassword: 's3cret' });
    expect(readdirSync(join(ev, 'attestations')).sort()).toEqual(['scan.sigstore.json', 'verify-2.sigstore.json', 'verify.sigstore.json']);
    const checks = verifyEvidenceAttestations(await readEvidence(ev), { publicKey: publicKey.export({ type: 'spki', format: 'pem' }) });
    expect(checks).toHaveLength(3);
    expect(checks.every((c) => c.ok)).toBe(true);
  });

  it('a wrong signing password fails before anything is written', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const { root, file } = project('signing: { key: attest.key.pem }\n');
    writeFileSync(join(root, 'attest.key.pem'), privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 's3cret' }));
    const parent = dir();
    await expect(runCheck({ configPath: file, evidenceDir: join(parent, 'ev'), analysers: analysers(root), gate: passGate, clock: CLOCK, signingPassword: 'wrong' })).rejects.toThrow();
    expect(readdirSync(parent)).toEqual([]);
  });

  it('a missing signing key is FILE_NOT_FOUND naming the project file', async () => {
    const { root, file } = project('signing: { key: nope.pem }\n');
    await expect(runCheck({ configPath: file, evidenceDir: join(dir(), 'ev'), analysers: analysers(root), gate: passGate, clock: CLOCK })).rejects.toMatchObject({
      code: 'FILE_NOT_FOUND',
      message: expect.stringContaining('signing.key') as unknown,
    });
  });
});

describe('default policy', () => {
  it('without `policy:` the shipped starter policy decides (missing evidence is incomplete)', async () => {
    const root = dir();
    writeFileSync(join(root, 'bulwark.yaml'), 'version: 1\n');
    const r = await runCheck({ configPath: join(root, 'bulwark.yaml'), evidenceDir: join(root, 'ev'), clock: CLOCK, analysers: [] });
    expect(r.verdict.policy?.policy.source).toBe(STARTER_POLICY_SOURCE);
    expect(r.verdict.verdict).toBe('incomplete');
    expect(r.verdict.reasons.map((x) => x.kind)).toEqual(expect.arrayContaining(['scan', 'signature', 'data', 'deps']));
  });

  it('`bulwark init` on the example writes a project file that passes the starter policy', async () => {
    const root = join(dir(), 'fraud');
    cpSync(EXAMPLE, root, { recursive: true, filter: (src) => !src.includes('bulwark-evidence') });
    const init = await initProject({ dir: root, force: true });
    expect(readFileSync(init.path, 'utf8')).not.toMatch(/^policy:/m);
    const r = await runCheck({ configPath: init.path, clock: CLOCK });
    expect(r.verdict.reasons).toEqual([]);
    expect(r.verdict.verdict).toBe('pass');
    expect(r.verdict.policy?.policy.source).toBe(STARTER_POLICY_SOURCE);
    expect(r.entries.map((e) => e.kind)).toEqual(['scan', 'verify', 'data', 'drift', 'deps', 'bom']);
  }, 60_000);
});
