import { describe, expect, it } from 'vitest';
import { atLeast } from '../src/report/order.js';
import { scan } from '../src/scan/scan.js';
import { fixture, loadManifests, type ManifestEntry } from './helpers.js';



const manifest = loadManifests();
const malicious = manifest.filter((e) => e.expect !== 'clean');
const benign = manifest.filter((e) => e.expect === 'clean');

describe('fixture manifest', () => {
  it('has positive and negative fixtures', () => {
    expect(malicious.length).toBeGreaterThan(20);
    expect(benign.length).toBeGreaterThan(10);
  });
});

describe.each(malicious)('malicious fixture $path', (entry) => {
  it(`is caught: ${entry.technique ?? ''}`, async () => {
    const report = await scan({ paths: [fixture(entry.path)] });
    const exp = entry.expect as Exclude<ManifestEntry['expect'], 'clean'>;
    const ids = new Set(report.findings.map((f) => f.ruleId));
    for (const rule of exp.rules) expect(ids, `${rule} in ${[...ids].join(',')}`).toContain(rule);
    const text = report.findings.map((f) => `${f.message} ${String(f.evidence?.global ?? '')}`).join('\n');
    for (const m of exp.mentions ?? []) expect(text).toContain(m);
    expect(report.findings.some((f) => atLeast(f.severity, 'high'))).toBe(true);
  });
});

describe.each(benign)('benign fixture $path', (entry) => {
  it('gives no finding at medium or above and is complete', async () => {
    const report = await scan({ paths: [fixture(entry.path)] });
    const loud = report.findings.filter((f) => atLeast(f.severity, 'medium'));
    expect(loud.map((f) => `${f.ruleId}: ${f.message}`)).toEqual([]);
    expect(report.errors).toEqual([]);
    expect(report.complete).toBe(true);
  });
});

describe('whole fixture tree', () => {
  it('scans deterministically (same JSON twice)', async () => {
    const a = await scan({ paths: [fixture('')], concurrency: 2 });
    const b = await scan({ paths: [fixture('')], concurrency: 1 });
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    expect(a.metrics?.files_scanned).toBeGreaterThan(30);
  });
});
