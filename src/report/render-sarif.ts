import type { Finding, Report, RuleMeta, Severity } from './types.js';

/**
 * Report locations are file paths; SARIF's `artifactLocation.uri` is a URI reference (SARIF
 * 2.1.0 §3.4.3, RFC 3986), so characters such as spaces, `<` or `#` in a file name are
 * percent-encoded (a file literally named `a%20b` keeps its `%` as `%25`).
 */
export function encodeUriReference(path: string): string {
  // Most paths need nothing: skip the encoder for them (SARIF logs can hold millions of results).
  if (/^[A-Za-z0-9\-._~/]*$/.test(path)) return path;
  return encodeURI(path).replace(/[#?[\]]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** SARIF `security-severity` per severity, as GitHub code scanning reads it. */
export const SECURITY_SEVERITY: Record<Severity, string> = {
  critical: '9.5',
  high: '8.0',
  medium: '5.5',
  low: '2.0',
  info: '0.0',
};

type SarifLevel = 'error' | 'warning' | 'note';

/** SARIF result level for a severity. */
export function sarifLevel(s: Severity): SarifLevel {
  switch (s) {
    case 'critical':
    case 'high':
      return 'error';
    case 'medium':
      return 'warning';
    case 'low':
    case 'info':
      return 'note';
    default: {
      const never: never = s;
      return never;
    }
  }
}

function sarifRule(r: RuleMeta): Record<string, unknown> {
  return {
    id: r.id,
    name: r.name,
    shortDescription: { text: r.title },
    helpUri: r.helpUri,
    defaultConfiguration: { level: sarifLevel(r.severity) },
    properties: { tags: ['security', ...r.tags], 'security-severity': SECURITY_SEVERITY[r.severity] },
  };
}

function sarifResult(f: Finding, ruleIndex: Map<string, number>): Record<string, unknown> {
  const physical: Record<string, unknown> = { artifactLocation: { uri: encodeUriReference(f.location.uri) } };
  // A byte offset is only meaningful in the file itself; inside an archive member it goes to the logical location.
  if (f.location.offset !== undefined && f.location.member === undefined) {
    physical.region = { byteOffset: f.location.offset };
  } else if (f.location.line !== undefined && f.location.member === undefined) {
    // SARIF 2.1.0 §3.30.5: startLine is 1-based; code scanning shows the line.
    physical.region = { startLine: f.location.line };
  }
  const location: Record<string, unknown> = { physicalLocation: physical };
  if (f.location.member !== undefined) {
    const name = f.location.offset === undefined ? f.location.member : `${f.location.member}@${f.location.offset}`;
    location.logicalLocations = [{ fullyQualifiedName: name, kind: 'resource' }];
  }
  const result: Record<string, unknown> = {
    ruleId: f.ruleId,
    level: sarifLevel(f.severity),
    message: { text: f.message },
    locations: [location],
    partialFingerprints: { 'bulwarkFingerprint/v1': f.fingerprint },
    properties: { severity: f.severity, ...(f.evidence ?? {}) },
  };
  const idx = ruleIndex.get(f.ruleId);
  if (idx !== undefined) result.ruleIndex = idx;
  if (f.suppressed) result.suppressions = [{ kind: 'external', justification: f.suppressed.reason }];
  return result;
}

/** Renders one or more reports as a SARIF 2.1.0 log (one run per report). */
export function renderSarif(reports: Report | Report[]): string {
  const list = Array.isArray(reports) ? reports : [reports];
  const runs = list.map((report) => {
    const ruleIndex = new Map(report.rules.map((r, i) => [r.id, i]));
    const notifications = [
      ...report.errors.map((e) => ({
        level: 'error',
        message: { text: e.uri ? `${e.uri}: ${e.message}` : e.message },
        descriptor: { id: e.code },
      })),
      ...report.skipped.map((s) => ({ level: 'note', message: { text: `skipped ${s.uri}: ${s.reason}` } })),
    ];
    return {
      tool: {
        driver: {
          name: report.tool.name,
          version: report.tool.version,
          informationUri: 'https://github.com/bulwark-mlsecops/bulwark',
          rules: report.rules.map(sarifRule),
        },
      },
      invocations: [{ executionSuccessful: report.complete, toolExecutionNotifications: notifications }],
      results: report.findings.map((f) => sarifResult(f, ruleIndex)),
      properties: { kind: report.kind, target: report.target, metrics: report.metrics ?? {} },
    };
  });
  const log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs,
  };
  return JSON.stringify(log, null, 2) + '\n';
}
