import { SEVERITIES, type Report } from '../report/types.js';
import type { CheckResult } from './run-check.js';

/** Metrics worth a glance per kind in the summary table (all metrics are in the evidence). */
const KEY_METRICS: Readonly<Record<string, readonly string[]>> = {
  data: ['rows', 'pii_rate', 'injection_rate', 'expectations_failed'],
  drift: ['drifted_share', 'dataset_drift'],
  deps: ['dependencies', 'vulnerabilities'],
  bom: ['components'],
};

function severityCounts(report: Report): string {
  const counts = SEVERITIES.map((s) => report.findings.filter((f) => f.suppressed === undefined && f.severity === s).length);
  return counts.join('/');
}

function metricsOf(report: Report): string {
  const keys = KEY_METRICS[report.kind] ?? [];
  const m = report.metrics ?? {};
  return keys
    .filter((k) => m[k] !== undefined)
    .map((k) => `${k}=${Number.isInteger(m[k]) ? String(m[k]) : (m[k] ?? 0).toFixed(4)}`)
    .join(' ');
}

function pad(cells: readonly string[], widths: readonly number[]): string {
  return cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
}

/**
 * The plain-text summary `bulwark check` prints: one row per analyser (kind, status, active
 * findings critical/high/medium/low/info, key metrics), then the verdict and its reasons.
 */
export function renderCheckSummary(result: CheckResult, options: { colour?: boolean } = {}): string {
  const header = ['KIND', 'STATUS', 'C/H/M/L/I', 'METRICS'];
  const rows = result.entries.map((e) => [e.kind, e.status, severityCounts(e.report), e.error !== undefined ? `error: ${e.error.message}` : metricsOf(e.report)]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (i === 3 ? 0 : (r[i] ?? '').length))));
  const lines = [pad(header, widths), ...rows.map((r) => pad(r, widths))];
  const v = result.verdict.verdict;
  const paint = (s: string): string => {
    if (options.colour !== true) return s;
    const code = v === 'pass' ? 32 : v === 'fail' ? 31 : 33;
    return `\u001b[${code}m${s}\u001b[0m`;
  };
  lines.push('', paint(`verdict: ${v.toUpperCase()}`));
  for (const r of result.verdict.reasons) lines.push(`  - ${r.rule}${r.kind !== undefined ? ` [${r.kind}]` : ''}: ${r.message}`);
  lines.push(`evidence: ${result.evidenceDir}`);
  return `${lines.join('\n')}\n`;
}
