import { renderSarif } from '../report/index.js';
import type { Report } from '../report/types.js';

interface SarifResult {
  locations?: { physicalLocation?: { artifactLocation?: { uri?: unknown } } }[];
}

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
    for (const result of (run.results ?? []) as SarifResult[]) {
      for (const loc of result.locations ?? []) {
        const al = loc.physicalLocation?.artifactLocation;
        if (al && typeof al.uri === 'string') al.uri = encodeUriReference(al.uri);
      }
    }
  });
  return JSON.stringify(log, null, 2) + '\n';
}
