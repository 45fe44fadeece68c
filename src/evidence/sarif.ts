import { renderSarif } from '../report/index.js';
import type { Report } from '../report/types.js';

/**
 * One SARIF 2.1.0 log for every report of an evidence directory: one run per report, each with
 * its own `automationDetails.id` (`bulwark/<kind>/` or `bulwark/<kind>-<n>/`), because GitHub
 * code scanning keys uploaded runs by tool and category and refuses several runs of one tool
 * with the same category in one file (SARIF 2.1.0 §3.17 runAutomationDetails; GitHub docs,
 * "SARIF support for code scanning", category).
 */
export function renderMergedSarif(reports: readonly { name: string; report: Report }[]): string {
  const log = JSON.parse(renderSarif(reports.map((r) => r.report))) as { runs: Record<string, unknown>[] };
  log.runs.forEach((run, i) => {
    const name = reports[i]?.name ?? String(i);
    run.automationDetails = { id: `bulwark/${name}/` };
  });
  return JSON.stringify(log, null, 2) + '\n';
}
