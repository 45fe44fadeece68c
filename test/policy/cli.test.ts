import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeEvidence } from '../../src/evidence/index.js';
import { evaluatePolicy, loadPolicy } from '../../src/policy/index.js';
import { runBulwark, tempDir } from '../helpers.js';
import { cleanReports, finding, report } from './sample.js';

const STARTER = new URL('../../policies/starter.yaml', import.meta.url).pathname;
const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });

let t: { dir: string; cleanup: () => void } | undefined;
afterEach(() => t?.cleanup());

function setup(): { dir: string; key: string; pub: string; otherPub: string; write: (name: string, v: unknown) => string } {
  t = tempDir();
  const dir = t.dir;
  const write = (name: string, v: unknown): string => {
    const p = join(dir, name);
    writeFileSync(p, typeof v === 'string' ? v : JSON.stringify(v));
    return p;
  };
  return {
    dir,
    key: write('key.pem', keys.privateKey.export({ type: 'pkcs8', format: 'pem' })),
    pub: write('pub.pem', keys.publicKey.export({ type: 'spki', format: 'pem' })),
    otherPub: write('other.pem', other.publicKey.export({ type: 'spki', format: 'pem' })),
    write,
  };
}

describe('bulwark attest', () => {
  it('signs a report and verifies it; tampering or another key exits 1', async () => {
    const s = setup();
    const rep = s.write('scan.json', report('scan', { findings: [finding('BW-PKL-001', 'critical')] }));
    const bundle = join(s.dir, 'scan.sigstore.json');
    const a = await runBulwark(['attest', rep, '--key', s.key, '--output', bundle]);
    expect(a).toMatchObject({ code: 0 });
    expect(a.stderr).toMatch(/attested the scan report/);
    const v = await runBulwark(['attest', '--verify', bundle, '--key', s.pub]);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/^OK: .* verifies \(signed by key [0-9a-f]{64}\)/);
    expect(v.stdout).toMatch(/predicate https:\/\/bulwark\.dev\/attestation\/scan\/v1/);
    const json = await runBulwark(['attest', '--verify', bundle, '--key', s.pub, '--format', 'json']);
    expect((JSON.parse(json.stdout) as { verified: boolean; report: { kind: string } }).report.kind).toBe('scan');
    const wrong = await runBulwark(['attest', '--verify', bundle, '--key', s.otherPub]);
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toMatch(/NOT VERIFIED \(untrusted\).*another key/);
    const b = JSON.parse(readFileSync(bundle, 'utf8')) as { dsseEnvelope: { payload: string } };
    const payload = Buffer.from(b.dsseEnvelope.payload, 'base64').toString('utf8').replace('"critical"', '"low"');
    b.dsseEnvelope.payload = Buffer.from(payload).toString('base64');
    const tampered = s.write('tampered.json', b);
    const tv = await runBulwark(['attest', '--verify', tampered, '--key', s.pub]);
    expect(tv.code).toBe(1);
    expect(tv.stdout).toMatch(/bad-signature/);
  });

  it('prints the bundle on stdout without --output; usage errors exit 2 with clear messages', async () => {
    const s = setup();
    const rep = s.write('scan.json', report('scan'));
    const out = await runBulwark(['attest', rep, '--key', s.key]);
    expect(out.code).toBe(0);
    expect(JSON.parse(out.stdout)).toMatchObject({ mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json' });
    expect((await runBulwark(['attest', rep])).stderr).toMatch(/--key KEY\.pem/);
    expect((await runBulwark(['attest'])).code).toBe(2);
    const nosub = s.write('data.json', report('data', { subjects: [] }));
    const ns = await runBulwark(['attest', nosub, '--key', s.key]);
    expect(ns.code).toBe(2);
    expect(ns.stderr).toMatch(/has no subjects/);
    const bad = s.write('bad.json', { schemaVersion: 1, kind: 'scan' });
    const br = await runBulwark(['attest', bad, '--key', s.key]);
    expect(br.code).toBe(2);
    expect(br.stderr).toMatch(/bad\.json: not a Bulwark report \(tool:/);
    expect((await runBulwark(['attest', '--verify', 'x.json'])).code).toBe(2);
  });
});

describe('bulwark policy', () => {
  it('eval on report files: pass 0, fail 1 (reasons named), incomplete 3', async () => {
    const s = setup();
    const files = cleanReports().map((r, i) => s.write(`r${i}.json`, r));
    const pass = await runBulwark(['policy', 'eval', '--policy', STARTER, '--signer', 'models/fraud=ml-release', ...files]);
    expect(pass.stdout).toMatch(/^policy .*starter\.yaml: PASS/);
    expect(pass.code).toBe(0);
    const bad = s.write('scan-bad.json', report('scan', { target: 'models/fraud', findings: [finding('BW-PKL-001', 'critical')] }));
    const fail = await runBulwark(['policy', 'eval', '-p', STARTER, '--signer', 'models/fraud=ml-release', bad, ...files.slice(1)]);
    expect(fail.code).toBe(1);
    expect(fail.stdout).toMatch(/FAIL {2}critical BW-PKL-001 in model\.pkl/);
    expect(fail.stdout).toMatch(/FAIL {2}rule scan-no-critical-high failed/);
    const inc = await runBulwark(['policy', 'eval', '-p', STARTER, files[0]!]);
    expect(inc.code).toBe(3);
    expect(inc.stdout).toMatch(/INCOMPLETE {2}required evidence "signature" is missing/);
    const nosigner = await runBulwark(['policy', 'eval', '-p', STARTER, ...files]);
    expect(nosigner.code).toBe(1);
    expect(nosigner.stdout).toMatch(/model-signed-by-release-key/);
  });

  it('eval on an evidence directory, verifying its attestations with --key; json and markdown formats', async () => {
    const s = setup();
    const reports = cleanReports();
    const signers = { 'models/fraud': 'ml-release' };
    const verdict = evaluatePolicy(loadPolicy(readFileSync(STARTER, 'utf8'), STARTER), { reports, signers }, { today: '2026-11-21' });
    const ev = join(s.dir, 'evidence');
    await writeEvidence(ev, { reports, verdict, clock: () => new Date(0), signers, signer: { privateKey: readFileSync(s.key) } });
    const ok = await runBulwark(['policy', 'eval', '-p', STARTER, '--key', s.pub, ev]);
    expect(ok.code).toBe(0);
    const wrongKey = await runBulwark(['policy', 'eval', '-p', STARTER, '--key', s.otherPub, ev]);
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stdout).toMatch(/attestation of .* does not verify/);
    const json = await runBulwark(['policy', 'eval', '-p', STARTER, ev, '--format', 'json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ verdict: 'pass', schemaVersion: 1 });
    const md = await runBulwark(['policy', 'eval', '-p', STARTER, ev, '--format', 'markdown']);
    expect(md.stdout).toMatch(/^## ✅ Bulwark policy: PASS/);
    const doc = await runBulwark(['policy', 'eval', '-p', STARTER, ev, '--print-document']);
    expect(JSON.parse(doc.stdout)).toMatchObject({ signature: { present: true, verified: true, signer: 'ml-release' }, scan: { counts: { critical: 0 } } });
  });

  it('attestation bundles as inputs need a key and are verified', async () => {
    const s = setup();
    const rep = s.write('scan.json', report('scan'));
    const bundle = join(s.dir, 'b.json');
    await runBulwark(['attest', rep, '--key', s.key, '-o', bundle]);
    const policy = s.write('p.yaml', 'version: 1\nrequire: [scan]\n');
    expect((await runBulwark(['policy', 'eval', '-p', policy, bundle])).code).toBe(2);
    expect((await runBulwark(['policy', 'eval', '-p', policy, '--key', s.pub, bundle])).code).toBe(0);
    const bad = await runBulwark(['policy', 'eval', '-p', policy, '--key', s.otherPub, bundle]);
    expect(bad.code).toBe(1);
  });

  it('unreadable evidence is incomplete (3); a bad policy is a usage error (2) naming file, line and rule', async () => {
    const s = setup();
    const junk = s.write('junk.json', '{not json');
    const r = await runBulwark(['policy', 'eval', '-p', STARTER, junk]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/junk\.json: not JSON/);
    expect((await runBulwark(['policy', 'eval', '-p', STARTER, join(s.dir, 'missing')])).code).toBe(3);
    const typo = s.write('typo.yaml', 'version: 1\nrules:\n  - id: r1\n    description: d\n    expr: scna.present\n');
    const p = await runBulwark(['policy', 'eval', '-p', typo, junk]);
    expect(p.code).toBe(2);
    expect(p.stderr).toMatch(/typo\.yaml:5: rule r1 \(rules\[0\]\.expr\): unknown name "scna"/);
    const check = await runBulwark(['policy', 'check', STARTER]);
    expect(check).toMatchObject({ code: 0 });
    expect(check.stdout).toMatch(/OK: .*9 rule\(s\), failOn high, requires scan, signature, data, deps/);
    expect((await runBulwark(['policy', 'check', typo])).code).toBe(2);
    expect((await runBulwark(['policy', 'eval', '-p', join(s.dir, 'nope.yaml'), junk])).code).toBe(2);
  });
});
