import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { evaluatePolicy, loadPolicy, loadPolicyFile } from '../../src/policy/index.js';
import type { Report } from '../../src/report/types.js';
import { cleanReports, finding, report } from './sample.js';

const STARTER = new URL('../../policies/starter.yaml', import.meta.url).pathname;
const policy = loadPolicy(readFileSync(STARTER, 'utf8'), 'policies/starter.yaml');
const signers = { 'models/fraud': 'ml-release' };
const TODAY = '2026-11-21';

function withReport(kind: string, over: Partial<Report>): Report[] {
  return cleanReports().map((r) => (r.kind === kind ? { ...r, ...over, metrics: { ...r.metrics, ...over.metrics } } : r));
}

describe('policies/starter.yaml', () => {
  it('loads from disk, every rule with a description and at least one mapping', async () => {
    const p = await loadPolicyFile(STARTER);
    expect(p.rules.length).toBeGreaterThanOrEqual(8);
    for (const r of p.rules) expect(r.mappings.nistAiRmf.length + r.mappings.owaspMl.length + r.mappings.atlas.length).toBeGreaterThan(0);
    expect(p.failOn).toBe('high');
    expect(p.require).toEqual(['scan', 'signature', 'data', 'deps']);
  });

  it('passes clean evidence', () => {
    const v = evaluatePolicy(policy, { reports: cleanReports(), signers }, { today: TODAY });
    expect(v.reasons).toEqual([]);
    expect(v.verdict).toBe('pass');
    expect(v.rules.find((r) => r.id === 'data-expectations-pass')?.status).toBe('pass');
    expect(v.rules.find((r) => r.id === 'training-data-no-poisoning-signals')?.status).toBe('skipped');
  });

  const failing: { name: string; reports: Report[]; signers?: Record<string, string>; rule: string }[] = [
    { name: 'a critical scan finding', reports: withReport('scan', { findings: [finding('BW-PKL-001', 'critical')] }), rule: 'scan-no-critical-high' },
    { name: 'a signature mismatch', reports: withReport('verify', { findings: [finding('BW-SIG-002', 'critical', 'models/fraud/model.joblib')] }), rule: 'model-signed-by-release-key' },
    { name: 'another signer', reports: cleanReports(), signers: { 'models/fraud': 'intern-laptop' }, rule: 'model-signed-by-release-key' },
    { name: 'PII in the data', reports: withReport('data', { metrics: { pii_rate: 0.02 } }), rule: 'training-data-no-pii' },
    { name: 'injection in training text', reports: withReport('data', { metrics: { injection_values: 3 } }), rule: 'training-data-no-injection' },
    { name: 'failed expectations', reports: withReport('data', { metrics: { expectations_evaluated: 4, expectations_failed: 1 } }), rule: 'data-expectations-pass' },
    { name: 'poisoning suspicion', reports: withReport('data', { metrics: { poison_suspicions: 2 } }), rule: 'training-data-no-poisoning-signals' },
    { name: 'a vulnerable dependency', reports: withReport('deps', { findings: [finding('GHSA-aaaa-bbbb-cccc', 'high', 'requirements.txt')] }), rule: 'deps-no-critical-high-vulns' },
    { name: 'drift', reports: withReport('drift', { metrics: { drifted_share: 0.5 } }), rule: 'no-dataset-drift' },
  ];
  for (const c of failing) {
    it(`fails on ${c.name}, naming rule ${c.rule}`, () => {
      const v = evaluatePolicy(policy, { reports: c.reports, signers: c.signers ?? signers }, { today: TODAY });
      expect(v.verdict).toBe('fail');
      expect(v.reasons.filter((r) => r.code === 'rule-failed').map((r) => r.rule)).toContain(c.rule);
    });
  }

  it('a BOM without subjects only warns (medium rule under failOn: high); a missing BOM is incomplete', () => {
    const empty = evaluatePolicy(policy, { reports: withReport('bom', { subjects: [] }), signers }, { today: TODAY });
    expect(empty.verdict).toBe('pass');
    expect(empty.reasons[0]).toMatchObject({ effect: 'warn', rule: 'ml-bom-present' });
    const missing = evaluatePolicy(policy, { reports: cleanReports().filter((r) => r.kind !== 'bom'), signers }, { today: TODAY });
    expect(missing.verdict).toBe('incomplete');
    expect(missing.reasons[0]).toMatchObject({ code: 'missing-evidence', rule: 'ml-bom-present', evidence: 'bom' });
  });

  it('drift is optional; a missing signature report is incomplete; a data report without the injection metric fails closed', () => {
    expect(evaluatePolicy(policy, { reports: cleanReports().filter((r) => r.kind !== 'drift'), signers }, { today: TODAY }).verdict).toBe('pass');
    expect(evaluatePolicy(policy, { reports: cleanReports().filter((r) => r.kind !== 'verify'), signers }, { today: TODAY }).verdict).toBe('incomplete');
    const noMetric = cleanReports().map((r) => (r.kind === 'data' ? report('data', { target: r.target, metrics: { pii_rate: 0 } }) : r));
    const v = evaluatePolicy(policy, { reports: noMetric, signers }, { today: TODAY });
    expect(v.verdict).toBe('fail');
    expect(v.rules.find((r) => r.id === 'training-data-no-injection')?.status).toBe('error');
  });
});
