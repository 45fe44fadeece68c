import type { Report } from './types.js';

/** The Report as pretty JSON (the canonical, stored form). */
export function renderJson(report: Report): string {
  return JSON.stringify(report, null, 2) + '\n';
}
