import type { Report } from '../report/types.js';

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Stable file stems for reports: sorted by kind then target, the first of a kind is `<kind>`, the
 * next ones `<kind>-2`, `<kind>-3`... Returns the original indexes so callers can find each report.
 */
export function nameReports(reports: readonly Report[]): { name: string; index: number; report: Report }[] {
  const order = reports.map((report, index) => ({ report, index })).sort((a, b) => cmp(a.report.kind, b.report.kind) || cmp(a.report.target, b.report.target) || a.index - b.index);
  const seen = new Map<string, number>();
  return order.map(({ report, index }) => {
    const safe = report.kind.replace(/[^a-z0-9-]/gi, '_').toLowerCase() || 'report';
    const n = (seen.get(safe) ?? 0) + 1;
    seen.set(safe, n);
    return { name: n === 1 ? safe : `${safe}-${n}`, index, report };
  });
}
