import { describe, expect, it } from 'vitest';
import { sarifSchemaErrors } from '../../test/sarif-schema.js';
import { finaliseFindings } from './fingerprint.js';
import { renderSarif, sarifLevel } from './render-sarif.js';
import type { Report } from './types.js';

function sampleReport(): Report {
  const findings = finaliseFindings(
    [
      { ruleId: 'BW-X-001', message: 'critical thing', location: { uri: 'a/model.pt', member: 'archive/data.pkl', offset: 12 }, key: 'os.system', evidence: { global: 'os.system' } },
      { ruleId: 'BW-X-002', message: 'medium thing', location: { uri: 'b.pkl', offset: 3 }, key: 'x.y' },
    ],
    (id) => (id === 'BW-X-001' ? 'critical' : 'medium'),
  );
  const first = findings[1];
  if (first) first.suppressed = { reason: 'reviewed' };
  return {
    schemaVersion: 1,
    kind: 'scan',
    tool: { name: 'bulwark', version: '0.0.0' },
    target: 'a b.pkl',
    subjects: [],
    rules: [
      { id: 'BW-X-001', name: 'x/one', title: 'One', severity: 'critical', helpUri: 'https://example.test/1', tags: ['cwe-502'] },
      { id: 'BW-X-002', name: 'x/two', title: 'Two', severity: 'medium', helpUri: 'https://example.test/2', tags: [] },
    ],
    findings,
    errors: [{ uri: 'c.zip', code: 'PARSE_ERROR', message: 'bad' }],
    skipped: [{ uri: 'README.md', reason: 'not a model' }],
    complete: false,
  };
}

describe('renderSarif', () => {
  it('validates against the official SARIF 2.1.0 schema', () => {
    const log: unknown = JSON.parse(renderSarif(sampleReport()));
    expect(sarifSchemaErrors(log)).toEqual([]);
  });

  it('rejects a broken log (the schema check can fail)', () => {
    const log = JSON.parse(renderSarif(sampleReport())) as { runs: { results: { level: string }[] }[] };
    const result = log.runs[0]?.results[0];
    if (result) result.level = 'fatal';
    expect(sarifSchemaErrors(log).length).toBeGreaterThan(0);
  });

  it('maps severities, fingerprints, suppressions and tool errors', () => {
    const log = JSON.parse(renderSarif(sampleReport())) as {
      runs: {
        tool: { driver: { rules: { properties: Record<string, unknown> }[] } };
        results: Record<string, unknown>[];
        invocations: { executionSuccessful: boolean; toolExecutionNotifications: unknown[] }[];
      }[];
    };
    const run = log.runs[0];
    expect(run?.tool.driver.rules[0]?.properties['security-severity']).toBe('9.5');
    expect(run?.tool.driver.rules[1]?.properties['security-severity']).toBe('5.5');
    expect(run?.results[0]?.level).toBe('error');
    expect(run?.results[0]?.partialFingerprints).toEqual({ 'bulwarkFingerprint/v1': expect.stringMatching(/^[0-9a-f]{32}$/) as unknown });
    expect(run?.results[1]?.suppressions).toEqual([{ kind: 'external', justification: 'reviewed' }]);
    expect(run?.invocations[0]?.executionSuccessful).toBe(false);
    expect(run?.invocations[0]?.toolExecutionNotifications).toHaveLength(2);
    expect(sarifLevel('low')).toBe('note');
  });
});

describe('SARIF artifact URIs', () => {
  it('percent-encodes file names that are not valid URI references, and leaves plain paths alone', async () => {
    const { encodeUriReference } = await import('./render-sarif.js');
    expect(encodeUriReference('models/a.pt')).toBe('models/a.pt');
    expect(encodeUriReference('we<ird #1%.pkl')).toBe('we%3Cird%20%231%25.pkl');
    const report = sampleReport();
    const f = report.findings[0];
    if (f) f.location = { ...f.location, uri: 'dir/<bad> name#.pkl' };
    const sarif = renderSarif([report]);
    expect(sarif).toContain('dir/%3Cbad%3E%20name%23.pkl');
    expect(sarifSchemaErrors(JSON.parse(sarif))).toEqual([]);
  });
});

describe('SARIF regions', () => {
  it('gives a line as region.startLine and a byte offset as region.byteOffset', () => {
    const report = sampleReport();
    const [a, b] = report.findings;
    if (a) a.location = { uri: 'requirements.txt', line: 10 };
    if (b) b.location = { uri: 'model.pkl', offset: 7 };
    const log = JSON.parse(renderSarif([report])) as { runs: { results: { locations: { physicalLocation: { region?: unknown } }[] }[] }[] };
    const regions = log.runs[0]?.results.map((r) => r.locations[0]?.physicalLocation.region);
    expect(regions).toContainEqual({ startLine: 10 });
    expect(regions).toContainEqual({ byteOffset: 7 });
    expect(sarifSchemaErrors(log)).toEqual([]);
  });
});
