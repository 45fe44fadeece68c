import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { verifyAttestation } from '../../src/attest/index.js';
import { readEvidence, writeEvidence } from '../../src/evidence/index.js';
import { evaluatePolicy, loadPolicy } from '../../src/policy/index.js';
import { scan } from '../../src/scan/index.js';
import { signModel, verifyModel } from '../../src/sign/index.js';
import { fixture, runBulwark } from '../helpers.js';
import { tinyCopy } from '../sign/helpers.js';

const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const priv = keys.privateKey.export({ type: 'pkcs8', format: 'pem' });
const pub = keys.publicKey.export({ type: 'spki', format: 'pem' });
const POLICY = `version: 1
failOn: high
require: [scan, verify]
rules:
  - id: model-signed
    description: the model verifies against the release key
    expr: signature.verified && signature.signer == "ml-release"
`;

let cleanup: (() => void) | undefined;
afterEach(() => cleanup?.());

describe('real analyser reports through attestations, the evidence directory and the policy', () => {
  it('a signed model and a malicious pickle: the gate fails naming the scanner rule; the benign pickle passes', async () => {
    const t = tinyCopy();
    cleanup = t.cleanup;
    await signModel({ modelPath: t.model, signer: { kind: 'key', privateKey: priv } });
    const verify = await verifyModel({ modelPath: t.model, trust: { kind: 'key', publicKey: pub } });
    expect(verify.findings).toEqual([]);
    const policy = loadPolicy(POLICY, 'p.yaml');
    const signers = { [t.model]: 'ml-release' };

    for (const [name, expected] of [['malicious/callable_builtins_exec.pkl', 'fail'], ['benign/numpy_float32.npy', 'pass']] as const) {
      const report = await scan({ paths: [fixture(name)], digest: true, today: '2026-11-21' });
      expect(report.subjects).toHaveLength(1);
      const verdict = evaluatePolicy(policy, { reports: [report, verify], signers }, { today: '2026-11-21' });
      expect(verdict.verdict).toBe(expected);
      const dir = join(t.dir, `evidence-${expected}`);
      await writeEvidence(dir, { reports: [report, verify], verdict, clock: () => new Date(0), signer: { privateKey: priv }, signers });
      const loaded = await readEvidence(dir);
      const att = loaded.attestations.scan;
      expect(att).toBeDefined();
      const v = verifyAttestation(att ?? '', { trust: { publicKey: pub } });
      expect(v.ok && v.report?.subjects[0]?.digest.sha256).toBe(report.subjects[0]?.digest.sha256);
      const policyFile = join(t.dir, 'p.yaml');
      writeFileSync(policyFile, POLICY);
      const pubFile = join(t.dir, 'pub.pem');
      writeFileSync(pubFile, pub);
      const run = await runBulwark(['policy', 'eval', '-p', policyFile, '--key', pubFile, dir]);
      expect(run.code).toBe(expected === 'pass' ? 0 : 1);
      if (expected === 'fail') expect(run.stdout).toMatch(/FAIL {2}critical BW-PKL-\d{3}/);
    }
  });
});
