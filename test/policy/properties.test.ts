import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isBulwarkError } from '../../src/errors.js';
import { evaluatePolicy, evidenceKeyOf, loadPolicy } from '../../src/policy/index.js';
import { atLeast } from '../../src/report/order.js';
import type { Report, Severity } from '../../src/report/types.js';
import { finding, report } from './sample.js';

const SEVERITY = fc.constantFrom<Severity>('critical', 'high', 'medium', 'low', 'info');
const KIND = fc.constantFrom('scan', 'verify', 'data', 'drift', 'deps', 'bom', 'data-fingerprint');

const REPORT = fc
  .record({
    kind: KIND,
    complete: fc.boolean(),
    findings: fc.array(fc.record({ severity: SEVERITY, rule: fc.integer({ min: 1, max: 5 }), suppressed: fc.boolean() }), { maxLength: 6 }),
  })
  .map(({ kind, complete, findings }): Report =>
    report(kind, {
      complete,
      findings: findings.map((f, i) => ({ ...finding(`BW-TST-00${f.rule}`, f.severity, `f${i}`), ...(f.suppressed ? { suppressed: { reason: 'r' } } : {}) })),
    }),
  );

describe('fail-closed invariants (property)', () => {
  it('the verdict is pass exactly when there is evidence, every required kind is present, nothing is incomplete (unless allowed) and no finding gates', () => {
    fc.assert(
      fc.property(
        fc.array(REPORT, { maxLength: 6 }),
        fc.constantFrom<Severity | 'none'>('critical', 'high', 'medium', 'low', 'info', 'none'),
        fc.subarray(['scan', 'verify', 'data', 'drift', 'deps', 'bom']),
        fc.boolean(),
        (reports, failOn, require, allowIncomplete) => {
          const policy = loadPolicy(`version: 1\nfailOn: ${failOn}\nrequire: [${require.join(', ')}]\nallowIncomplete: ${allowIncomplete}\n`, 'prop.yaml');
          const v = evaluatePolicy(policy, { reports }, { today: '2026-11-21' });
          const present = new Set(reports.map((r) => evidenceKeyOf(r.kind)));
          const missing = reports.length === 0 || require.some((k) => !present.has(evidenceKeyOf(k)));
          const incomplete = !allowIncomplete && reports.some((r) => !r.complete);
          const gating = failOn !== 'none' && reports.some((r) => r.findings.some((f) => !f.suppressed && atLeast(f.severity, failOn)));
          const expected = gating ? 'fail' : missing || incomplete ? 'incomplete' : 'pass';
          expect(v.verdict).toBe(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('any policy text either loads or is CONFIG_INVALID; a loaded policy never throws when evaluated', () => {
    const exprs = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.constantFrom('scan.present', 'data.metrics.x < 1.0', 'size(scan.findings) > 0', 'scan.findings.all(f, f.allowed)', '1 / 0 == 1', '"a"', 'signature.signer == 1', 'drift.metrics.drifted_share < 0.3'),
    );
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), exprs.map((e) => `version: 1\nrules:\n  - id: r\n    description: d\n    expr: ${JSON.stringify(e)}\n`)), fc.array(REPORT, { maxLength: 3 }), (text, reports) => {
        let policy;
        try {
          policy = loadPolicy(text, 'fuzz.yaml');
        } catch (err) {
          expect(isBulwarkError(err, 'CONFIG_INVALID')).toBe(true);
          expect((err as Error).message.startsWith('fuzz.yaml')).toBe(true);
          return;
        }
        const v = evaluatePolicy(policy, { reports }, { today: '2026-11-21' });
        expect(['pass', 'fail', 'incomplete']).toContain(v.verdict);
        for (const r of v.rules) if (r.status === 'error') expect(v.verdict).toBe('fail');
      }),
      { numRuns: 400 },
    );
  });
});
