import { mkdirSync, readFileSync, writeFileSync, existsSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { initProject, loadProjectConfig, mergeReports, parseProjectConfig, runCheck, type Analyser, type PolicyGate } from '../../src/check/index.js';
import { isBulwarkError } from '../../src/errors.js';
import type { Report } from '../../src/report/types.js';
import { tempDir } from '../helpers.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});
function dir(): string {
  const t = tempDir();
  cleanups.push(t.cleanup);
  return t.dir;
}

function report(kind: string, over: Partial<Report> = {}): Report {
  return { schemaVersion: 1, kind, tool: { name: 'bulwark', version: 'test' }, target: 't', subjects: [{ name: 'x', digest: { sha256: 'a'.repeat(64) } }], rules: [], findings: [], errors: [], skipped: [], complete: true, ...over };
}

function expectConfigError(value: unknown, fragment: string): void {
  try {
    parseProjectConfig(value, '/p/bulwark.yaml');
  } catch (err) {
    expect(isBulwarkError(err, 'CONFIG_INVALID')).toBe(true);
    expect((err as Error).message).toContain('/p/bulwark.yaml');
    expect((err as Error).message).toContain(fragment);
    return;
  }
  throw new Error('expected a CONFIG_INVALID error');
}

describe('project file', () => {
  it('resolves every path relative to the file', () => {
    const c = parseProjectConfig(
      {
        version: 1,
        models: [{ path: 'model', signer: { name: 'ml-release', publicKey: 'keys/k.pub.pem' } }],
        datasets: { training: { path: 'data/train.csv', label: 'y', suite: 's.suite.yaml' }, reference: 'r.csv', current: 'c.csv' },
        lockfiles: 'requirements.txt',
        osvDb: 'osv',
        policy: 'policy.yaml',
      },
      '/p/sub/bulwark.yaml',
    );
    expect(c.root).toBe('/p/sub');
    expect(c.models[0]).toEqual({ path: '/p/sub/model', signer: { name: 'ml-release', kind: 'key', publicKey: '/p/sub/keys/k.pub.pem' } });
    expect(c.datasets.training).toEqual({ path: '/p/sub/data/train.csv', label: 'y', suite: '/p/sub/s.suite.yaml' });
    expect(c.lockfiles).toEqual(['/p/sub/requirements.txt']);
    expect(c.evidence).toBe('/p/sub/bulwark-evidence');
    expect(c.policy).toBe('/p/sub/policy.yaml');
  });

  it('accepts a training path as a plain string', () => {
    expect(parseProjectConfig({ version: 1, datasets: { training: 'd.csv' } }, '/p/bulwark.yaml').datasets.training).toEqual({ path: '/p/d.csv' });
  });

  it.each([
    [{}, 'version'],
    [{ version: 2 }, 'version'],
    [{ version: 1, modles: [] }, 'modles'],
    [{ version: 1, models: [{ path: 'm', signer: { name: 'x' } }] }, 'models.0.signer: give exactly one'],
    [{ version: 1, models: [{ path: 'm', signer: { name: 'x', publicKey: 'a', identity: 'me' } }] }, 'models.0.signer'],
    [{ version: 1, datasets: { reference: 'r.csv' } }, 'datasets.current: drift needs both'],
    [{ version: 1, lockfiles: ['requirements.txt'] }, 'osvDb'],
    [{ version: 1, signing: { key: 'k.pem', passwordEnv: 'not a name' } }, 'signing.passwordEnv'],
  ])('rejects %j naming the field', (value, fragment) => {
    expectConfigError(value, fragment);
  });

  it('reports YAML syntax errors with the line and a missing file as FILE_NOT_FOUND', async () => {
    const d = dir();
    writeFileSync(join(d, 'bulwark.yaml'), 'version: 1\nmodels: [\n');
    await expect(loadProjectConfig(join(d, 'bulwark.yaml'))).rejects.toThrow(/bulwark\.yaml: not valid YAML at line/);
    await expect(loadProjectConfig(join(d, 'nope.yaml'))).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
  });
});

describe('mergeReports', () => {
  it('concatenates, dedupes rules, sums metrics and is complete only if all are', () => {
    const m = mergeReports('verify', '/p', [report('verify', { metrics: { a: 1 } }), report('verify', { metrics: { a: 2 }, complete: false })]);
    expect(m.subjects).toHaveLength(2);
    expect(m.metrics).toEqual({ a: 3 });
    expect(m.complete).toBe(false);
  });
});

describe('runCheck', () => {
  function project(): string {
    const d = dir();
    writeFileSync(join(d, 'bulwark.yaml'), 'version: 1\nmodels: [{ path: m }]\n');
    return join(d, 'bulwark.yaml');
  }
  const gateSeen: Report[][] = [];
  const recordingGate: PolicyGate = {
    evaluate: ({ reports }) => {
      gateSeen.push([...reports]);
      return Promise.resolve({ verdict: reports.every((r) => r.complete) ? 'pass' : 'incomplete', reasons: [] });
    },
  };

  it('turns an analyser that throws into an incomplete entry with its error, never a crash or a pass', async () => {
    const analysers: Analyser[] = [
      { kind: 'scan', title: 'scan', configured: () => true, run: () => Promise.resolve(report('scan')) },
      { kind: 'data', title: 'data', configured: () => true, run: () => Promise.reject(new Error('disk on fire')) },
      { kind: 'bom', title: 'bom', configured: () => false, run: () => Promise.reject(new Error('not configured: never run')) },
    ];
    const events: string[] = [];
    const ev = join(dir(), 'evidence');
    const result = await runCheck({ configPath: project(), evidenceDir: ev, analysers, gate: recordingGate, today: '2026-11-21', onProgress: (p) => events.push(p.phase) });
    expect(result.entries.map((e) => [e.kind, e.status])).toEqual([
      ['scan', 'pass'],
      ['data', 'error'],
    ]);
    expect(result.entries[1]?.error).toEqual({ code: 'INTERNAL', message: 'disk on fire' });
    expect(result.entries[1]?.report.complete).toBe(false);
    expect(result.verdict.verdict).toBe('incomplete');
    expect(events).toEqual(['start', 'done', 'start', 'done', 'policy', 'evidence']);
    // The gate decided on the failed analyser's incomplete placeholder, not on the scan alone.
    expect(gateSeen.at(-1)?.map((r) => [r.kind, r.complete])).toEqual([
      ['scan', true],
      ['data', false],
    ]);
    expect(existsSync(join(ev, 'reports', 'data.json'))).toBe(true);
  });

  it('runs on a project file the caller already loaded, without reading configPath again', async () => {
    const file = project();
    const config = await loadProjectConfig(file);
    const analysers: Analyser[] = [{ kind: 'scan', title: 'scan', configured: (c) => c.models.length === 1, run: () => Promise.resolve(report('scan')) }];
    const result = await runCheck({ configPath: join(dir(), 'gone.yaml'), config, evidenceDir: join(dir(), 'e'), analysers, gate: recordingGate });
    expect(result.config).toBe(config);
    expect(result.entries.map((e) => [e.kind, e.status])).toEqual([['scan', 'pass']]);
  });

  it('a gate that throws is incomplete, not a pass', async () => {
    const analysers: Analyser[] = [{ kind: 'scan', title: 'scan', configured: () => true, run: () => Promise.resolve(report('scan')) }];
    const result = await runCheck({
      configPath: project(),
      evidenceDir: join(dir(), 'e'),
      analysers,
      gate: { evaluate: () => Promise.reject(new Error('CEL exploded')) },
    });
    expect(result.verdict.verdict).toBe('incomplete');
    expect(result.verdict.reasons[0]?.message).toContain('CEL exploded');
  });
});

describe('bulwark init', () => {
  const example = new URL('../../examples/fraud-detection/', import.meta.url).pathname;

  it('finds the model directory, its key, and the datasets by role', async () => {
    const d = dir();
    for (const sub of ['model', 'keys', 'data', 'node_modules']) mkdirSync(join(d, sub));
    for (const f of ['model/model.joblib', 'model/model.sig', 'keys/ml-release.pub.pem', 'data/train.csv', 'data/reference.csv', 'data/current.csv']) copyFileSync(join(example, f), join(d, f));
    copyFileSync(join(example, 'model/model.joblib'), join(d, 'node_modules', 'ignored.joblib'));
    writeFileSync(join(d, 'requirements.txt'), 'numpy==1.24.2\n');
    const r = await initProject({ dir: d });
    expect(r.written).toBe(true);
    expect(r.found.models).toEqual([{ path: 'model', format: 'directory', signature: 'model/model.sig' }]);
    expect(r.found.datasets).toMatchObject({ training: 'data/train.csv', reference: 'data/reference.csv', current: 'data/current.csv' });
    expect(r.found.lockfiles).toEqual(['requirements.txt']);
    const c = await loadProjectConfig(r.path);
    expect(c.models[0]?.signer).toEqual({ name: 'ml-release', kind: 'key', publicKey: join(d, 'keys/ml-release.pub.pem') });
    expect(c.datasets.reference).toBe(join(d, 'data/reference.csv'));
    expect(readFileSync(r.path, 'utf8')).toContain('# ');
  });

  it('sniffs loose model files by content, not by name', async () => {
    const d = dir();
    copyFileSync(join(example, 'model/model.joblib'), join(d, 'weights.bin'));
    writeFileSync(join(d, 'notes.bin'), 'just text, not a model');
    const r = await initProject({ dir: d, dryRun: true });
    expect(r.found.models).toEqual([{ path: 'weights.bin', format: 'pickle' }]);
    expect(r.written).toBe(false);
    expect(existsSync(join(d, 'bulwark.yaml'))).toBe(false);
  });

  it('refuses to overwrite unless forced', async () => {
    const d = dir();
    writeFileSync(join(d, 'bulwark.yaml'), 'mine\n');
    await expect(initProject({ dir: d })).rejects.toMatchObject({ code: 'USAGE' });
    expect(readFileSync(join(d, 'bulwark.yaml'), 'utf8')).toBe('mine\n');
    await initProject({ dir: d, force: true });
    expect(readFileSync(join(d, 'bulwark.yaml'), 'utf8')).toContain('version: 1');
  });

  it('writes a valid file for an empty directory', async () => {
    const d = dir();
    const r = await initProject({ dir: d });
    expect((await loadProjectConfig(r.path)).models).toEqual([]);
  });
});
