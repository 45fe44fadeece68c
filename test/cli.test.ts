import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Report } from '../src/report/types.js';
import { runBulwark, tempDir } from './helpers.js';
import { sarifSchemaErrors } from './sarif-schema.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const latin1 = (s: string): Buffer => Buffer.from(s, 'latin1');
const files = {
  evil: join(tmp.dir, 'evil.pkl'),
  clean: join(tmp.dir, 'clean.pkl'),
  custom: join(tmp.dir, 'custom.pkl'),
  brokenZip: join(tmp.dir, 'broken.pt'),
};
// Protocol 0: posix.system('echo bulwark-inert'), the classic payload (inert command).
writeFileSync(files.evil, latin1("cposix\nsystem\n(S'echo bulwark-inert'\ntR."));
// Protocol 4: an empty list.
writeFileSync(files.clean, latin1('\x80\x04]\x94.'));
// A user class: mylib.models.Net() via NEWOBJ.
writeFileSync(files.custom, latin1('\x80\x02cmylib.models\nNet\n)\x81.'));
// Starts like a zip but has no central directory.
writeFileSync(files.brokenZip, Buffer.concat([latin1('PK\x03\x04'), Buffer.alloc(64, 7)]));

describe('bulwark CLI', () => {
  it('prints help with the scan command and exits 0', async () => {
    const r = await runBulwark(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('scan');
    const s = await runBulwark(['scan', '--help']);
    expect(s.stdout).toContain('--fail-on');
  });

  it('exits 2 on usage errors, without a stack trace', async () => {
    expect((await runBulwark([])).code).toBe(2);
    const bad = await runBulwark(['scan', files.clean, '--format', 'xml']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('xml');
    const missing = await runBulwark(['scan', join(tmp.dir, 'nope.pt')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.pt: no such file or directory');
    expect(missing.stderr).not.toMatch(/\n\s+at /);
  });

  it('exits 1 on a critical finding and names it; 0 with --fail-on none; 0 on a clean file', async () => {
    const r = await runBulwark(['scan', files.evil]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('BW-PKL-001');
    expect(r.stdout).toContain('posix.system');
    expect((await runBulwark(['scan', files.evil, '--fail-on', 'none'])).code).toBe(0);
    const clean = await runBulwark(['scan', files.clean]);
    expect(clean.code).toBe(0);
    expect(clean.stdout).toContain('no findings');
  });

  it('prints the Report as JSON, and SARIF that validates', async () => {
    const j = await runBulwark(['scan', files.evil, '--format', 'json']);
    const report = JSON.parse(j.stdout) as Report;
    expect(report.schemaVersion).toBe(1);
    expect(report.findings[0]?.location).toMatchObject({ uri: files.evil, offset: 0 });
    const s = await runBulwark(['scan', tmp.dir, '--format', 'sarif', '--fail-on', 'none', '--allow-incomplete']);
    expect(sarifSchemaErrors(JSON.parse(s.stdout))).toEqual([]);
  });

  it('writes --output atomically and leaves nothing behind when it cannot', async () => {
    const out = join(tmp.dir, 'out', 'report.json');
    const failed = await runBulwark(['scan', files.clean, '-o', out, '-f', 'json']);
    expect(failed.code).toBe(2);
    expect(failed.stderr).toContain('report.json: cannot write output');
    expect(existsSync(join(tmp.dir, 'out'))).toBe(false);
    const good = join(tmp.dir, 'report.json');
    expect((await runBulwark(['scan', files.clean, '-o', good, '-f', 'json'])).code).toBe(0);
    expect((JSON.parse(readFileSync(good, 'utf8')) as Report).kind).toBe('scan');
    expect(readdirSync(tmp.dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('exits 3 when something could not be analysed, 0 with --allow-incomplete', async () => {
    const r = await runBulwark(['scan', files.brokenZip]);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('PARSE_ERROR');
    expect(r.stdout).toContain('broken.pt');
    expect((await runBulwark(['scan', files.brokenZip, '--allow-incomplete'])).code).toBe(0);
  });

  it('applies the config file: allow-list, suppressions, failOn; rejects a bad one naming the field', async () => {
    const unknown = await runBulwark(['scan', files.custom, '--fail-on', 'medium']);
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toContain('mylib.models.Net');

    const allowCfg = join(tmp.dir, 'allow.yaml');
    writeFileSync(allowCfg, 'allow:\n  - mylib.models.Net\nfailOn: medium\n');
    const allowed = await runBulwark(['scan', files.custom, '--config', allowCfg]);
    expect(allowed.code).toBe(0);
    expect(allowed.stdout).toContain('no findings');

    const supCfg = join(tmp.dir, 'suppress.json');
    writeFileSync(supCfg, JSON.stringify({ suppress: [{ rule: 'BW-PKL-001', global: 'posix.system', reason: 'test fixture' }] }));
    const suppressed = await runBulwark(['scan', files.evil, '--config', supCfg]);
    expect(suppressed.code).toBe(0);
    expect(suppressed.stdout).toContain('suppressed: test fixture');

    const expiredCfg = join(tmp.dir, 'expired.json');
    writeFileSync(expiredCfg, JSON.stringify({ suppress: [{ rule: 'BW-PKL-001', reason: 'old', expires: '2020-01-01' }] }));
    expect((await runBulwark(['scan', files.evil, '--config', expiredCfg])).code).toBe(1);

    const badCfg = join(tmp.dir, 'bad.yaml');
    writeFileSync(badCfg, 'allow: 3\nlimits:\n  maxOpcodes: -1\n');
    const bad = await runBulwark(['scan', files.clean, '--config', badCfg]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('bad.yaml');
    expect(bad.stderr).toContain('allow');
    expect(bad.stderr).toContain('limits.maxOpcodes');
  });
});

describe('bulwark sign / verify through the CLI', () => {
  const interop = new URL('../../shared/interop/model-signing/', import.meta.url).pathname;

  it('verifies the reference implementation signature, and fails on the wrong key', async () => {
    const ok = await runBulwark(['verify', `${interop}tiny-model`, '--key', `${interop}keys/p256.pub.pem`, '--signature', `${interop}python-signed/tiny-model.files.sig`]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('fab85866be99ef2d149c98f0c06d6bbea54a6d7366df811705677281f44b5e5e');
  });

  it('signs a model with a key and verifies it; a changed byte fails naming the file', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const { mkdirSync: mk } = await import('node:fs');
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const model = join(tmp.dir, 'signed-model');
    mk(model);
    writeFileSync(join(model, 'weights.bin'), Buffer.alloc(4096, 1));
    writeFileSync(join(model, 'config.json'), '{}');
    const key = join(tmp.dir, 'key.pem');
    const pub = join(tmp.dir, 'key.pub.pem');
    writeFileSync(key, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(pub, publicKey.export({ type: 'spki', format: 'pem' }));
    const sig = join(tmp.dir, 'model.sig');
    expect((await runBulwark(['sign', model, '--key', key, '--signature', sig])).code).toBe(0);
    expect((await runBulwark(['verify', model, '--key', pub, '--signature', sig])).code).toBe(0);
    writeFileSync(join(model, 'weights.bin'), Buffer.alloc(4096, 2));
    const bad = await runBulwark(['verify', model, '--key', pub, '--signature', sig]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('BW-SIG-001');
    expect(bad.stdout).toContain('weights.bin');
  });
});
