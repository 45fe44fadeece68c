import { describe, expect, it } from 'vitest';
import { isBulwarkError } from '../../src/errors.js';
import { buildEvidenceDocument, evaluatePolicy, loadPolicy, type Evidence, type PolicyVerdict } from '../../src/policy/index.js';
import type { Report } from '../../src/report/types.js';
import { cleanReports, finding, report } from './sample.js';

const TODAY = '2026-11-21';

function yamlPolicy(body: string): string {
  return `version: 1\n${body}`;
}

function verdictOf(policyYaml: string, evidence: Evidence, today = TODAY): PolicyVerdict {
  return evaluatePolicy(loadPolicy(yamlPolicy(policyYaml), 'test.yaml'), evidence, { today });
}

function rule(id: string, expr: string, extra = ''): string {
  return `  - id: ${id}\n    description: test rule ${id}\n    expr: ${JSON.stringify(expr)}\n${extra}`;
}

const scanWith = (...f: Report['findings']): Report => report('scan', { findings: f });

describe('CEL rule shapes (table)', () => {
  const reports: Report[] = [
    report('scan', { findings: [finding('BW-PKL-001', 'high')] }),
    report('verify', { target: 'models/fraud' }),
    report('data', { metrics: { pii_rate: 0.002, rows: 100 } }),
    report('drift', { metrics: { drifted_share: 0.4 } }),
  ];
  const evidence: Evidence = { reports, signers: { 'models/fraud': 'ml-release' } };
  const cases: { name: string; expr: string; status: 'pass' | 'fail' | 'error' }[] = [
    { name: 'all() over findings', expr: 'scan.findings.all(f, f.severity != "critical")', status: 'pass' },
    { name: 'all() violated', expr: 'scan.findings.all(f, f.severity != "high")', status: 'fail' },
    { name: 'exists() with startsWith', expr: 'scan.findings.exists(f, f.ruleId.startsWith("BW-PKL"))', status: 'pass' },
    { name: 'exists_one()', expr: 'scan.findings.exists_one(f, f.ruleId == "BW-PKL-001")', status: 'pass' },
    { name: 'filter + size', expr: 'size(scan.findings.filter(f, f.severity == "high")) == 1', status: 'pass' },
    { name: 'signature verified by signer', expr: 'signature.verified && signature.signer == "ml-release"', status: 'pass' },
    { name: 'wrong signer', expr: 'signature.verified && signature.signer == "someone"', status: 'fail' },
    { name: 'signer in list', expr: 'signature.signer in ["ml-release", "ml-release-2"]', status: 'pass' },
    { name: 'metric threshold', expr: 'data.metrics.pii_rate < 0.01', status: 'pass' },
    { name: 'metric threshold violated', expr: 'drift.metrics.drifted_share < 0.3', status: 'fail' },
    { name: 'metric vs int literal', expr: 'data.metrics.rows >= 100', status: 'pass' },
    { name: 'has() on an absent metric', expr: '!has(data.metrics.nothing)', status: 'pass' },
    { name: 'index syntax', expr: 'data.metrics["pii_rate"] < 0.01', status: 'pass' },
    { name: 'counts shortcut', expr: 'scan.counts.critical == 0 && scan.counts.high == 1', status: 'pass' },
    { name: 'present and complete', expr: 'scan.present && scan.complete && size(scan.errors) == 0', status: 'pass' },
    { name: 'ternary', expr: 'drift.metrics.drifted_share > 0.5 ? false : true', status: 'pass' },
    { name: 'missing metric key: CEL error, fail closed', expr: 'data.metrics.missing_metric < 0.5', status: 'error' },
    { name: 'wrong type: CEL error, fail closed', expr: 'signature.signer < 3', status: 'error' },
    { name: 'division by zero: CEL error', expr: '1 / (size(scan.errors)) == 1', status: 'error' },
    { name: 'non-boolean result: fail closed', expr: 'size(scan.findings)', status: 'error' },
    { name: 'string result: fail closed', expr: 'signature.signer', status: 'error' },
  ];
  for (const c of cases) {
    it(`${c.name}: ${c.expr} -> ${c.status}`, () => {
      const v = verdictOf(`failOn: none\nrules:\n${rule('r1', c.expr)}`, evidence);
      expect(v.rules[0]?.status).toBe(c.status);
      expect(v.verdict).toBe(c.status === 'pass' ? 'pass' : 'fail');
      if (c.status === 'error') {
        const reason = v.reasons.find((r) => r.rule === 'r1');
        expect(reason?.code).toMatch(/cel-error|non-boolean/);
        expect(reason?.message).toMatch(/failing closed/);
      }
      if (c.status === 'fail') expect(v.reasons[0]).toMatchObject({ effect: 'fail', code: 'rule-failed', rule: 'r1' });
    });
  }

  it('non-boolean is reported as such', () => {
    const v = verdictOf(`rules:\n${rule('r1', 'size(scan.findings)')}`, evidence);
    expect(v.reasons.find((r) => r.rule === 'r1')).toMatchObject({ code: 'non-boolean', message: expect.stringMatching(/int 1, not a bool/) as unknown });
  });
});

describe('load-time checks: typos are CONFIG_INVALID naming the rule', () => {
  const bad: { expr: string; error: RegExp }[] = [
    { expr: 'scan.findings.all(f, ', error: /rule r1 \(rules\[0\]\.expr\): syntax error/ },
    { expr: 'sacn.findings.size() == 0', error: /unknown name "sacn"/ },
    { expr: 'scan.findigns.size() == 0', error: /scan has no field "findigns"/ },
    { expr: 'scan.findings.all(f, f.severty != "high")', error: /a finding has no field "severty"/ },
    { expr: 'signature.verifed', error: /signature has no field "verifed"/ },
    { expr: 'scan.counts.severe == 0', error: /counts has no severity "severe"/ },
    { expr: 'nofunc(scan.present)', error: /unknown function "nofunc"/ },
    { expr: 'scan.errors.all(e, e.line > 0)', error: /an error has no field "line"/ },
    { expr: 'attestations.verifed', error: /attestations has no field/ },
  ];
  for (const b of bad) {
    it(b.expr, () => {
      expect.assertions(3);
      try {
        loadPolicy(yamlPolicy(`rules:\n${rule('r1', b.expr)}`), 'p.yaml');
      } catch (err) {
        expect(isBulwarkError(err, 'CONFIG_INVALID')).toBe(true);
        expect((err as Error).message).toMatch(b.error);
        expect((err as Error).message).toMatch(/^p\.yaml:\d+:/);
      }
    });
  }

  it('checks `when` too, and accepts required extra kinds as names', () => {
    expect(() => loadPolicy(yamlPolicy(`rules:\n${rule('r1', 'true', '    when: "scna.present"\n')}`), 'p.yaml')).toThrow(/rules\[0\]\.when\): unknown name "scna"/);
    expect(() => loadPolicy(yamlPolicy(`require: [model-card]\nrules:\n${rule('r1', 'model_card.present')}`), 'p.yaml')).not.toThrow();
  });

  it('rejects bad policy files with the field path and line', () => {
    const cases: [string, RegExp][] = [
      ['version: 2\n', /p\.yaml:1: invalid policy at version/],
      ['version: 1\nfailOn: severe\n', /p\.yaml:2: invalid policy at failOn/],
      ['version: 1\nallow:\n  - ruleId: BW-PKL-001\n    reason: ok\n    expires: 2026-13-01\n', /allow\[0\]\.expires/],
      ['version: 1\nallow:\n  - ruleId: BW-PKL-001\n    expires: 2026-12-01\n', /allow\[0\]\.reason/],
      ['version: 1\nrules:\n  - id: a\n    description: d\n    expr: "true"\n    mappings: { nist: [] }\n', /unknown field 'nist'/],
      ['version: 1\nrequire: [Scan]\n', /require\[0\]/],
      ['version: 1\nbogus: 1\n', /unknown field 'bogus'/],
      ['version: 1\n  : [\n', /not valid YAML/],
      ['*!', /p\.yaml: not valid YAML/],
      ['a: &x [*x, *x]\nb: *x\n', /p\.yaml/],
      [`version: 1\nrules:\n${rule('a', 'true')}${rule('a', 'true')}`, /duplicate rule id a/],
    ];
    for (const [text, re] of cases) expect(() => loadPolicy(text, 'p.yaml')).toThrow(re);
  });
});

describe('shortcuts', () => {
  it('failOn: a finding at or above the threshold fails, below passes', () => {
    const ev = { reports: [scanWith(finding('BW-PKL-001', 'high'), finding('BW-PKL-002', 'medium', 'b.pkl'))] };
    const high = verdictOf('failOn: high\n', ev);
    expect(high.verdict).toBe('fail');
    expect(high.reasons.filter((r) => r.code === 'finding').map((r) => r.findingRuleId)).toEqual(['BW-PKL-001']);
    expect(high.reasons[0]).toMatchObject({ evidence: 'scan', fingerprint: 'bw-pkl-001-model.pkl', uri: 'model.pkl', severity: 'high' });
    expect(verdictOf('failOn: critical\n', ev).verdict).toBe('pass');
    expect(verdictOf('failOn: medium\n', ev).reasons.filter((r) => r.code === 'finding')).toHaveLength(2);
    expect(verdictOf('failOn: none\n', ev).verdict).toBe('pass');
    expect(verdictOf('', ev).verdict).toBe('fail'); // default failOn: high
  });

  it('failOn applies to every kind of report', () => {
    const ev = { reports: [report('scan'), report('deps', { findings: [finding('GHSA-xxxx-yyyy-zzzz', 'critical', 'requirements.txt')] })] };
    const v = verdictOf('failOn: high\n', ev);
    expect(v.verdict).toBe('fail');
    expect(v.reasons[0]).toMatchObject({ evidence: 'deps', findingRuleId: 'GHSA-xxxx-yyyy-zzzz' });
  });

  it('require: missing kinds are incomplete (fail closed); report-kind aliases work', () => {
    const v = verdictOf('require: [scan, verify, data]\n', { reports: [report('scan')] });
    expect(v.verdict).toBe('incomplete');
    expect(v.reasons.map((r) => [r.code, r.evidence])).toEqual([
      ['missing-evidence', 'signature'],
      ['missing-evidence', 'data'],
    ]);
    expect(verdictOf('require: [scan, signature]\n', { reports: [report('scan'), report('verify')] }).verdict).toBe('pass');
  });

  it('fail outranks incomplete', () => {
    const v = verdictOf('require: [data]\n', { reports: [scanWith(finding('BW-PKL-001', 'critical'))] });
    expect(v.verdict).toBe('fail');
    expect(v.reasons.map((r) => r.effect)).toEqual(['fail', 'incomplete']);
  });

  it('no evidence at all is never a pass', () => {
    expect(verdictOf('', { reports: [] }).verdict).toBe('incomplete');
  });

  it('incomplete reports: incomplete unless allowIncomplete (then a warning)', () => {
    const r = report('scan', { complete: false, errors: [{ uri: 'big.bin', code: 'LIMIT_EXCEEDED', message: 'too large' }] });
    const v = verdictOf('', { reports: [r] });
    expect(v.verdict).toBe('incomplete');
    expect(v.reasons[0]).toMatchObject({ code: 'incomplete-evidence', evidence: 'scan', message: expect.stringMatching(/big\.bin: too large/) as unknown });
    const a = verdictOf('allowIncomplete: true\n', { reports: [r] });
    expect(a.verdict).toBe('pass');
    expect(a.reasons[0]).toMatchObject({ effect: 'warn', code: 'incomplete-evidence' });
  });

  it('a rule reading absent evidence is incomplete, not a vacuous pass; `when` can guard it', () => {
    const ev = { reports: [report('scan')] };
    const v = verdictOf(`rules:\n${rule('bom', 'bom.findings.all(f, f.severity != "critical")')}`, ev);
    expect(v.verdict).toBe('incomplete');
    expect(v.rules[0]).toMatchObject({ id: 'bom', status: 'incomplete' });
    expect(v.reasons[0]).toMatchObject({ code: 'missing-evidence', rule: 'bom', evidence: 'bom' });
    const guarded = verdictOf(`rules:\n${rule('bom', 'bom.findings.size() == 0', '    when: bom.present\n')}`, ev);
    expect(guarded.verdict).toBe('pass');
    expect(guarded.rules[0]?.status).toBe('skipped');
    const presence = verdictOf(`rules:\n${rule('bom-present', 'bom.present')}`, ev);
    expect(presence.verdict).toBe('incomplete');
  });

  it('rule severity below failOn warns instead of failing', () => {
    const ev = { reports: [report('drift', { metrics: { drifted_share: 0.5 } })] };
    const v = verdictOf(`failOn: high\nrules:\n${rule('drift', 'drift.metrics.drifted_share < 0.3', '    severity: medium\n')}`, ev);
    expect(v.verdict).toBe('pass');
    expect(v.rules[0]?.status).toBe('warn');
    expect(v.reasons[0]).toMatchObject({ effect: 'warn', code: 'rule-warning', evidence: 'drift' });
    expect(verdictOf(`failOn: medium\nrules:\n${rule('drift', 'drift.metrics.drifted_share < 0.3', '    severity: medium\n')}`, ev).verdict).toBe('fail');
  });

  it('a CEL error in `when` fails closed too', () => {
    const v = verdictOf(`rules:\n${rule('r', 'true', '    when: data.metrics.nope > 1.0\n')}`, { reports: [report('data')] });
    expect(v.verdict).toBe('fail');
    expect(v.rules[0]?.status).toBe('error');
  });

  it('attestations that do not verify fail the gate', () => {
    const v = verdictOf('', { reports: [report('scan')], attestations: [{ kind: 'scan', target: 'm', ok: false, error: 'bad signature' }] });
    expect(v.verdict).toBe('fail');
    expect(v.reasons[0]).toMatchObject({ code: 'attestation-invalid', message: expect.stringMatching(/bad signature/) as unknown });
    const ok = verdictOf(`rules:\n${rule('att', 'attestations.verified && attestations.count == 1')}`, { reports: [report('scan')], attestations: [{ kind: 'scan', target: 'm', ok: true }] });
    expect(ok.verdict).toBe('pass');
  });
});

describe('allow-list', () => {
  const f1 = finding('BW-PKL-001', 'critical', 'models/a.pkl', 'fp-a');
  const f2 = finding('BW-PKL-001', 'critical', 'models/b.pkl', 'fp-b');
  const ev = { reports: [scanWith(f1, f2)] };
  const allow = (entry: string): string => `allow:\n  - ruleId: BW-PKL-001\n    reason: reviewed, inert\n${entry}`;

  it('by fingerprint: only that finding is allowed', () => {
    const v = verdictOf(allow('    fingerprint: fp-a\n    expires: 2026-12-31\n'), ev);
    expect(v.verdict).toBe('fail');
    expect(v.reasons.filter((r) => r.code === 'finding').map((r) => r.fingerprint)).toEqual(['fp-b']);
    expect(v.allowed).toEqual([{ evidence: 'scan', ruleId: 'BW-PKL-001', fingerprint: 'fp-a', uri: 'models/a.pkl', reason: 'reviewed, inert', expires: '2026-12-31' }]);
  });

  it('by rule id: every finding of the rule is allowed', () => {
    expect(verdictOf(allow('    expires: 2026-12-31\n'), ev).verdict).toBe('pass');
  });

  it('by path: exact file or directory prefix', () => {
    expect(verdictOf(allow('    path: models/a.pkl\n    expires: 2026-12-31\n'), ev).verdict).toBe('fail');
    expect(verdictOf(allow('    path: models/\n    expires: 2026-12-31\n'), ev).verdict).toBe('pass');
  });

  it('another rule id does not match', () => {
    expect(verdictOf('allow:\n  - ruleId: BW-PKL-002\n    reason: x\n    expires: 2026-12-31\n', ev).verdict).toBe('fail');
  });

  it('expiry: applies through its day, not after; expired entries are reported', () => {
    expect(verdictOf(allow('    expires: 2026-11-21\n'), ev).verdict).toBe('pass');
    const v = verdictOf(allow('    expires: 2026-11-20\n'), ev);
    expect(v.verdict).toBe('fail');
    const expired = v.reasons.find((r) => r.code === 'allow-expired');
    expect(expired).toMatchObject({ effect: 'warn', findingRuleId: 'BW-PKL-001' });
    expect(expired?.message).toMatch(/expired on 2026-11-20.*2 finding\(s\)/);
    const unmatched = verdictOf('allow:\n  - ruleId: BW-X-001\n    reason: x\n    expires: 2020-01-01\n', { reports: [report('scan')] });
    expect(unmatched.reasons[0]).toMatchObject({ effect: 'info', code: 'allow-expired' });
    expect(unmatched.verdict).toBe('pass');
  });

  it('CEL rules see only gating findings in `findings`; allowed ones in `allowedFindings`', () => {
    const p = `${allow('    fingerprint: fp-a\n    expires: 2026-12-31\n')}failOn: none\nrules:\n${rule('r', 'scan.findings.all(f, f.fingerprint != "fp-a" && !f.allowed) && scan.allowedFindings.exists(f, f.allowed && f.allowReason == "reviewed, inert")')}`;
    expect(verdictOf(p, ev).rules[0]?.status).toBe('pass');
  });

  it('findings suppressed in the report itself do not gate', () => {
    const s = { ...f1, suppressed: { reason: 'scan config' } };
    const v = verdictOf('', { reports: [scanWith(s)] });
    expect(v.verdict).toBe('pass');
    expect(v.allowed[0]?.reason).toMatch(/suppressed in the report: scan config/);
  });
});

describe('evidence document', () => {
  it('has every known key, absent ones not present, and kind-specific signature fields', () => {
    const { doc, entries } = buildEvidenceDocument({ reports: [report('verify', { target: 'm' })], signers: { m: 'ml-release' } }, [], TODAY);
    expect(Object.keys(doc).sort()).toEqual(['attestations', 'bom', 'data', 'deps', 'drift', 'fingerprint', 'scan', 'signature']);
    expect(entries.scan?.present).toBe(false);
    expect(entries.signature).toMatchObject({ present: true, verified: true, signer: 'ml-release', signers: ['ml-release'] });
  });

  it('fingerprint evidence carries the dataset digests', () => {
    const fp = { ...report('data-fingerprint', { target: 'data/train.csv' }), fingerprint: { contentSha256: 'd'.repeat(64), schemaSha256: 'e'.repeat(64), rows: 3, columns: [] } };
    const v = verdictOf(`rules:\n${rule('fp', `fingerprint.contentSha256 == ["${'d'.repeat(64)}"] && size(fingerprint.schemaSha256) == 1`)}`, { reports: [fp] });
    expect(v.verdict).toBe('pass');
    expect(buildEvidenceDocument({ reports: [] }, [], TODAY).entries.fingerprint?.contentSha256).toEqual([]);
  });

  it('a verify report with a finding or an error is not verified', () => {
    const bad = buildEvidenceDocument({ reports: [report('verify', { findings: [finding('BW-SIG-002', 'critical')] })] }, [], TODAY);
    expect(bad.entries.signature?.verified).toBe(false);
    const inc = buildEvidenceDocument({ reports: [report('verify', { complete: false })] }, [], TODAY);
    expect(inc.entries.signature?.verified).toBe(false);
  });

  it('several reports of a kind: findings joined, metrics at their maximum, other kinds keyed by name', () => {
    const { entries } = buildEvidenceDocument(
      { reports: [report('data', { target: 'a', metrics: { pii_rate: 0.1 } }), report('data', { target: 'b', metrics: { pii_rate: 0.3 } }), report('data-fingerprint'), report('model-card')] },
      [],
      TODAY,
    );
    expect(entries.data).toMatchObject({ reports: 2n, targets: ['a', 'b'], metrics: { pii_rate: 0.3 } });
    expect(entries.fingerprint?.present).toBe(true);
    expect(entries.model_card?.present).toBe(true);
  });

  it('orders findings deterministically even when a report is out of order', () => {
    const fs = [finding('BW-PKL-001', 'critical', 'a'), finding('BW-PKL-002', 'high', 'b'), finding('BW-PKL-001', 'critical', 'c')];
    const a = evaluatePolicy(loadPolicy('version: 1\n', 'p'), { reports: [scanWith(...fs)] }, { today: TODAY });
    const b = evaluatePolicy(loadPolicy('version: 1\n', 'p'), { reports: [scanWith(...[...fs].reverse())] }, { today: TODAY });
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    expect(a.reasons.map((r) => r.uri)).toEqual(['a', 'c', 'b']);
  });

  it('is deterministic regardless of report order', () => {
    const rs = cleanReports();
    const a = evaluatePolicy(loadPolicy('version: 1\n', 'p'), { reports: rs }, { today: TODAY });
    const b = evaluatePolicy(loadPolicy('version: 1\n', 'p'), { reports: [...rs].reverse() }, { today: TODAY });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  });
});
