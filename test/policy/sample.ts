import type { Finding, Report, Severity } from '../../src/report/types.js';

/** A finding for tests. */
export function finding(ruleId: string, severity: Severity, uri = 'model.pkl', fingerprint = `${ruleId}-${uri}`.toLowerCase()): Finding {
  return { ruleId, severity, message: `${ruleId} fired`, location: { uri }, fingerprint };
}

/** A report for tests: complete, one subject, no findings unless given. */
export function report(kind: string, over: Partial<Report> = {}): Report {
  return {
    schemaVersion: 1,
    kind,
    tool: { name: 'bulwark', version: '0.0.0-test' },
    target: `${kind}-target`,
    subjects: [{ name: `${kind}-target`, digest: { sha256: 'c'.repeat(64) } }],
    rules: [],
    findings: [],
    metrics: {},
    errors: [],
    skipped: [],
    complete: true,
    ...over,
  };
}

/** Clean evidence of every kind the starter policy reads. */
export function cleanReports(): Report[] {
  return [
    report('scan', { target: 'models/fraud', metrics: { files: 3 } }),
    report('verify', { target: 'models/fraud', metrics: { files_verified: 3 } }),
    report('data', { target: 'data/train.csv', metrics: { rows: 1000, pii_rate: 0, injection_values: 0, injection_rate: 0, expectations_evaluated: 4, expectations_failed: 0 } }),
    report('drift', { target: 'data/current.csv', metrics: { drifted_share: 0.1, columns: 10 } }),
    report('deps', { target: 'requirements.txt', metrics: { packages: 12 } }),
    report('bom', { target: 'models/fraud', metrics: { components: 5 } }),
  ];
}
