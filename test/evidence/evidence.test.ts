import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { readEvidence, renderSummaryHtml, renderSummaryMarkdown, verifyEvidenceAttestations, writeEvidence } from '../../src/evidence/index.js';
import { evaluatePolicy, loadPolicy, type Evidence } from '../../src/policy/index.js';
import type { Report } from '../../src/report/types.js';
import { browserAvailable, launchBrowser, openHtml } from '../browser.js';
import { tempDir } from '../helpers.js';
import { sarifSchemaErrors } from '../sarif-schema.js';
import { cleanReports, finding, report } from '../policy/sample.js';

const STARTER = readFileSync(new URL('../../policies/starter.yaml', import.meta.url), 'utf8');
const policy = loadPolicy(STARTER, 'policies/starter.yaml');
const clock = (): Date => new Date('2026-11-21T12:00:00Z');
const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const signer = { privateKey: keys.privateKey.export({ type: 'pkcs8', format: 'pem' }) };
const pub = keys.publicKey.export({ type: 'spki', format: 'pem' });
const signers = { 'models/fraud': 'ml-release' };

function failingReports(): Report[] {
  return cleanReports().map((r) =>
    r.kind === 'scan'
      ? { ...r, findings: [finding('BW-PKL-001', 'critical', 'models/fraud/model.pkl'), { ...finding('BW-PKL-002', 'high', 'models/<script>alert(1)</script>.pkl'), message: 'evil | table <b>break</b>' }] }
      : r,
  );
}

function verdictFor(reports: Report[]): ReturnType<typeof evaluatePolicy> {
  const ev: Evidence = { reports, signers };
  return evaluatePolicy(policy, ev, { today: '2026-11-21' });
}

let t: { dir: string; cleanup: () => void } | undefined;
afterEach(() => t?.cleanup());

describe('writeEvidence / readEvidence', () => {
  it('writes every file, signs reports, and reads them back identically', async () => {
    t = tempDir();
    const dir = join(t.dir, 'evidence');
    const reports = [...cleanReports(), report('data', { target: 'data/reference.csv' })];
    const verdict = verdictFor(reports);
    const { manifest } = await writeEvidence(dir, { reports, verdict, clock, signer, signers });
    expect(readdirSync(dir).sort()).toEqual(['attestations', 'bulwark.sarif', 'evidence.json', 'reports', 'summary.html', 'summary.md', 'verdict.json']);
    expect(readdirSync(join(dir, 'reports')).sort()).toEqual(['bom.json', 'data-2.json', 'data.json', 'deps.json', 'drift.json', 'scan.json', 'verify.json']);
    expect(readdirSync(join(dir, 'attestations'))).toContain('verify.sigstore.json');
    expect(manifest.generatedAt).toBe('2026-11-21T12:00:00.000Z');
    const loaded = await readEvidence(dir);
    expect(loaded.reports).toHaveLength(7);
    expect(new Set(loaded.reports.map((r) => JSON.stringify(r)))).toEqual(new Set(reports.map((r) => JSON.stringify(r))));
    expect(loaded.signers).toEqual(signers);
    expect(loaded.verdict?.verdict).toBe(verdict.verdict);
    // Re-evaluating the loaded evidence gives the same verdict.
    expect(evaluatePolicy(policy, { reports: loaded.reports, signers: loaded.signers }, { today: '2026-11-21' })).toEqual(verdict);
    const att = verifyEvidenceAttestations(loaded, { publicKey: pub });
    expect(att).toHaveLength(7);
    expect(att.every((a) => a.ok)).toBe(true);
  });

  it('is deterministic for the same inputs and clock', async () => {
    t = tempDir();
    const reports = cleanReports();
    const verdict = verdictFor(reports);
    await writeEvidence(join(t.dir, 'a'), { reports, verdict, clock, signers });
    await writeEvidence(join(t.dir, 'b'), { reports: [...reports].reverse(), verdict, clock, signers });
    for (const f of ['evidence.json', 'bulwark.sarif', 'summary.md', 'summary.html', 'reports/scan.json']) {
      expect(readFileSync(join(t.dir, 'b', f), 'utf8')).toBe(readFileSync(join(t.dir, 'a', f), 'utf8'));
    }
  });

  it('the merged SARIF validates against the official 2.1.0 schema, one run per report with distinct categories', async () => {
    t = tempDir();
    const reports = failingReports();
    await writeEvidence(join(t.dir, 'e'), { reports, verdict: verdictFor(reports), clock });
    const log = JSON.parse(readFileSync(join(t.dir, 'e', 'bulwark.sarif'), 'utf8')) as { runs: { automationDetails: { id: string }; results: unknown[] }[] };
    expect(sarifSchemaErrors(log)).toEqual([]);
    expect(log.runs).toHaveLength(reports.length);
    const ids = log.runs.map((r) => r.automationDetails.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toContain('bulwark/scan/');
    expect(log.runs.find((r) => r.automationDetails.id === 'bulwark/scan/')?.results).toHaveLength(2);
  });

  it('replaces an earlier evidence directory, refuses a foreign one, and leaves no temporary directory', async () => {
    t = tempDir();
    const dir = join(t.dir, 'ev');
    const reports = cleanReports();
    await writeEvidence(dir, { reports, verdict: verdictFor(reports), clock, signer });
    await writeEvidence(dir, { reports: reports.slice(0, 2), verdict: verdictFor(reports.slice(0, 2)), clock });
    expect(existsSync(join(dir, 'attestations'))).toBe(false);
    expect((await readEvidence(dir)).reports).toHaveLength(2);
    expect(readdirSync(t.dir)).toEqual(['ev']);
    const foreign = join(t.dir, 'src');
    mkdirSync(foreign);
    writeFileSync(join(foreign, 'main.py'), 'print(1)\n');
    await expect(writeEvidence(foreign, { reports, verdict: verdictFor(reports), clock })).rejects.toThrow(/not an evidence directory/);
    expect(readFileSync(join(foreign, 'main.py'), 'utf8')).toBe('print(1)\n');
  });

  it('a bad signing key fails before anything is written', async () => {
    t = tempDir();
    const dir = join(t.dir, 'ev');
    await expect(writeEvidence(dir, { reports: cleanReports(), verdict: verdictFor(cleanReports()), clock, signer: { privateKey: 'nope' } })).rejects.toThrow(/private key/);
    expect(existsSync(dir)).toBe(false);
  });

  it('a report without subjects is stored but not attested, with the reason in the manifest', async () => {
    t = tempDir();
    const reports = [report('data', { subjects: [] })];
    const { manifest } = await writeEvidence(join(t.dir, 'ev'), { reports, verdict: verdictFor(reports), clock, signer });
    expect(manifest.reports[0]?.attestation).toBeUndefined();
    expect(manifest.reports[0]?.attestationSkipped).toMatch(/no subjects/);
  });

  it('refuses altered, missing or invalid evidence naming the file', async () => {
    t = tempDir();
    const dir = join(t.dir, 'ev');
    const reports = cleanReports();
    await writeEvidence(dir, { reports, verdict: verdictFor(reports), clock, signer });
    const scanPath = join(dir, 'reports', 'scan.json');
    const original = readFileSync(scanPath, 'utf8');
    writeFileSync(scanPath, original.replace('"findings": []', '"findings": [ ]'));
    await expect(readEvidence(dir)).rejects.toThrow(/scan\.json: its sha256 .* changed after the evidence was written/);
    writeFileSync(scanPath, original);
    const verdictPath = join(dir, 'verdict.json');
    writeFileSync(verdictPath, readFileSync(verdictPath, 'utf8').replace('"verdict": "pass"', '"verdict": "fail"'));
    await expect(readEvidence(dir)).rejects.toThrow(/verdict\.json: its sha256 .* the verdict was changed/);
    await expect(readEvidence(join(t.dir, 'nothing'))).rejects.toThrow(/evidence\.json: cannot read/);
    writeFileSync(join(dir, 'evidence.json'), '{"schemaVersion": 1}');
    await expect(readEvidence(dir)).rejects.toThrow(/not a Bulwark evidence manifest/);
  });

  it('an attestation of another report is refused by verifyEvidenceAttestations', async () => {
    t = tempDir();
    const dir = join(t.dir, 'ev');
    const reports = cleanReports();
    await writeEvidence(dir, { reports, verdict: verdictFor(reports), clock, signer });
    const loaded = await readEvidence(dir);
    loaded.attestations.scan = loaded.attestations.deps ?? '';
    const att = verifyEvidenceAttestations(loaded, { publicKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }) });
    expect(att.every((a) => !a.ok)).toBe(true);
    const swapped = verifyEvidenceAttestations(loaded, { publicKey: pub });
    expect(swapped.find((a) => a.kind === 'scan')).toMatchObject({ ok: false, error: expect.stringMatching(/not reports\/scan\.json/) as unknown });
  });
});

describe('summary.md', () => {
  it('has the verdict line, the evidence table, failing rules with reasons, top findings and escaped text', () => {
    const reports = failingReports();
    const md = renderSummaryMarkdown(verdictFor(reports), reports, { generatedAt: '2026-11-21T12:00:00.000Z' });
    expect(md.split('\n')[0]).toBe('## ❌ Bulwark policy: FAIL');
    expect(md).toMatch(/\| scan \| yes \| yes \| 1 \| 1 \| 0 \| 0 \| 0 \|/);
    expect(md).toMatch(/### Failing rules[\s\S]*`scan-no-critical-high`/);
    expect(md).toMatch(/### Reasons\n\n- ❌ critical BW-PKL-001/);
    expect(md).toMatch(/### Top findings/);
    expect(md).not.toContain('<script>');
    expect(md).toContain('&lt;script&gt;');
    expect(md).toContain('evil \\| table &lt;b&gt;break&lt;/b&gt;');
    expect(md).toMatch(/<details><summary>All rules \(9\)<\/summary>/);
  });

  it('says PASS and INCOMPLETE', () => {
    expect(renderSummaryMarkdown(verdictFor(cleanReports()), cleanReports(), { generatedAt: 'x' })).toMatch(/^## ✅ Bulwark policy: PASS/);
    expect(renderSummaryMarkdown(verdictFor([report('scan')]), [report('scan')], { generatedAt: 'x' })).toMatch(/^## ⚠️ Bulwark policy: INCOMPLETE/);
  });
});

describe.skipIf(!browserAvailable())('summary.html in headless Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser.close();
  });

  it('renders with no network requests and no console errors; verdict, reasons and rules visible; injected markup inert', async () => {
    const reports = failingReports();
    const html = renderSummaryHtml(verdictFor(reports), reports, { generatedAt: '2026-11-21T12:00:00.000Z' });
    const { page, requests, consoleErrors } = await openHtml(browser, html);
    expect(await page.locator('#verdict').innerText()).toBe('Bulwark policy: FAIL');
    expect(await page.locator('#verdict').isVisible()).toBe(true);
    expect(await page.locator('#reasons li').first().innerText()).toMatch(/critical BW-PKL-001/);
    expect(await page.locator('#rules').innerText()).toMatch(/scan-no-critical-high/);
    expect(await page.locator('script').count()).toBe(0);
    expect(await page.locator('b').count()).toBe(0);
    expect(requests).toEqual([]);
    expect(consoleErrors).toEqual([]);
    await page.close();
  });

  it('renders a passing verdict', async () => {
    const { page, requests } = await openHtml(browser, renderSummaryHtml(verdictFor(cleanReports()), cleanReports(), { generatedAt: 'x' }));
    expect(await page.locator('#verdict').innerText()).toBe('Bulwark policy: PASS');
    expect(requests).toEqual([]);
    await page.close();
  });
});

describe('topFindings', () => {
  it('keeps the most severe active findings in the deterministic order, counting all', async () => {
    const { topFindings } = await import('../../src/evidence/index.js');
    const { compareFindings } = await import('../../src/report/index.js');
    const sevs = ['low', 'critical', 'info', 'high', 'medium', 'high', 'critical', 'low'] as const;
    const fs = sevs.map((s, i) => finding(`BW-TST-00${i % 3}`, s, `u${i}`));
    const reps = [report('scan', { findings: fs.slice(0, 4) }), report('deps', { findings: [...fs.slice(4), { ...finding('BW-TST-009', 'critical', 'z'), suppressed: { reason: 'x' } }] })];
    const { top, total } = topFindings(reps, 3);
    expect(total).toBe(8);
    expect(top.map((x) => x.f)).toEqual([...fs].sort(compareFindings).slice(0, 3));
    expect(topFindings(reps, 100).top.map((x) => x.f)).toEqual([...fs].sort(compareFindings));
  });
});
