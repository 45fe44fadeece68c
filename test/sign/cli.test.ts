import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Report } from '../../src/report/types.js';
import { runBulwark } from '../helpers.js';
import { sarifSchemaErrors } from '../sarif-schema.js';
import { PUB_KEY, PY_SIGNED, tinyCopy } from './helpers.js';

let cleanup: (() => void) | undefined;
afterEach(() => {
  cleanup?.();
  cleanup = undefined;
});

function keyFiles(dir: string): { priv: string; pub: string } {
  const k = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const priv = join(dir, 'test-only.key.pem');
  const pub = join(dir, 'pub.pem');
  writeFileSync(priv, k.privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-128-cbc', passphrase: 'pw' }));
  writeFileSync(pub, k.publicKey.export({ type: 'spki', format: 'pem' }));
  return { priv, pub };
}

describe('bulwark sign / verify', () => {
  it('verifies the reference signature (exit 0) and prints the subject', async () => {
    const r = await runBulwark(['verify', join(PY_SIGNED, '..', 'tiny-model'), '--key', PUB_KEY]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('sha256:fab85866be99ef2d149c98f0c06d6bbea54a6d7366df811705677281f44b5e5e');
    expect(r.stdout).toContain('OK');
  });

  it('signs with an encrypted key, verifies, and fails (exit 1) after tampering, in json and sarif', async () => {
    const t = tinyCopy();
    cleanup = t.cleanup;
    const k = keyFiles(t.dir);
    const sig = join(t.dir, 'out.sig');
    const s = await runBulwark(['sign', t.model, '--key', k.priv, '--password-env', 'PW', '--signature', sig, '--method', 'shards', '--shard-size', '1024', '--ignore', 'model.sig', '-f', 'json'], { PW: 'pw' });
    expect(s.code).toBe(0);
    expect(JSON.parse(s.stdout)).toMatchObject({ signature: sig, subject: { name: 'tiny-model' }, resources: 9 });
    expect((await runBulwark(['verify', t.model, '--key', k.pub, '--signature', sig])).code).toBe(0);
    writeFileSync(join(t.model, 'config.json'), '{"tampered": true}');
    const v = await runBulwark(['verify', t.model, '--key', k.pub, '--signature', sig, '-f', 'json']);
    expect(v.code).toBe(1);
    const report = JSON.parse(v.stdout) as Report;
    expect(report.kind).toBe('verify');
    expect(report.findings.map((f) => [f.ruleId, f.location.uri.endsWith('tiny-model/config.json')])).toEqual([['BW-SIG-001', true]]);
    const sarif = await runBulwark(['verify', t.model, '--key', k.pub, '--signature', sig, '-f', 'sarif']);
    expect(sarif.code).toBe(1);
    expect(sarifSchemaErrors(JSON.parse(sarif.stdout))).toEqual([]);
  });

  it('exits 2 on usage errors: no or two trusts, missing password, bad shard size, unknown option', async () => {
    const t = tinyCopy();
    cleanup = t.cleanup;
    const k = keyFiles(t.dir);
    expect((await runBulwark(['verify', t.model])).code).toBe(2);
    expect((await runBulwark(['verify', t.model, '--key', k.pub, '--identity', 'a@b.c', '--issuer', 'https://x'])).code).toBe(2);
    expect((await runBulwark(['verify', t.model, '--identity', 'a@b.c'])).code).toBe(2);
    expect((await runBulwark(['sign', t.model, '--key', k.priv])).code).toBe(2);
    expect((await runBulwark(['sign', t.model, '--key', k.priv, '--password-env', 'NOPE'])).code).toBe(2);
    expect((await runBulwark(['sign', t.model, '--key', k.priv, '--password-env', 'PW', '--method', 'shards', '--shard-size', '1.5'], { PW: 'pw' })).code).toBe(2);
    expect((await runBulwark(['sign', t.model, '--key', join(t.dir, 'missing.pem')])).code).toBe(2);
    expect((await runBulwark(['verify', t.model, '--key', k.pub, '--frobnicate'])).code).toBe(2);
  });

  it('verify --identity on a key-signed bundle fails with a clear message (no network needed)', async () => {
    const r = await runBulwark(['verify', join(PY_SIGNED, '..', 'tiny-model'), '--identity', 'me@example.com', '--issuer', 'https://accounts.example.com']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('BW-SIG-005');
    expect(r.stdout).toMatch(/signed with a key, not a Sigstore certificate/);
  });

  it('a malformed trusted root is a usage error', async () => {
    const t = tinyCopy();
    cleanup = t.cleanup;
    // A bundle that claims a Sigstore certificate, so the trusted root is needed.
    const b = JSON.parse(readFileSync(join(PY_SIGNED, 'tiny-model.files.sig'), 'utf8')) as { verificationMaterial: Record<string, unknown> };
    b.verificationMaterial = { certificate: { rawBytes: 'AAAA' }, tlogEntries: [] };
    const sig = join(t.dir, 'keyless.sig');
    writeFileSync(sig, JSON.stringify(b));
    const root = join(t.dir, 'root.json');
    writeFileSync(root, '{"mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1"}');
    const r = await runBulwark(['verify', t.model, '--signature', sig, '--identity', 'me@example.com', '--issuer', 'https://x', '--trusted-root', root]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/trusted root: not a Sigstore trusted root/);
    writeFileSync(root, 'not json');
    expect((await runBulwark(['verify', t.model, '--signature', sig, '--identity', 'me@example.com', '--issuer', 'https://x', '--trusted-root', root])).stderr).toMatch(/trusted root: not JSON/);
  });
});
