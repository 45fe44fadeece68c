import { atLeast, renderJson, renderSarif, renderText, type Report, type Severity } from '../report/index.js';
import { EXIT } from './io.js';

/** Output formats every report-printing command offers. */
export const REPORT_FORMATS = ['text', 'json', 'sarif'] as const;

/** One of {@link REPORT_FORMATS}. */
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** Renders a report in the chosen format; `textSuffix` is appended to text output only. */
export function renderReport(report: Report, format: ReportFormat, colour: boolean, textSuffix = ''): string {
  switch (format) {
    case 'text':
      return renderText(report, { colour }) + textSuffix;
    case 'json':
      return renderJson(report);
    case 'sarif':
      return renderSarif(report);
    default: {
      const never: never = format;
      return never;
    }
  }
}

/**
 * The exit code of a report-producing command: 1 when an unsuppressed finding is at or above
 * `failOn` ('none' or undefined: never), then 3 when the analysis was incomplete (unless allowed), else 0.
 */
export function reportExitCode(report: Report, failOn: Severity | 'none' | undefined, allowIncomplete: boolean): number {
  if (failOn !== undefined && failOn !== 'none' && report.findings.some((f) => !f.suppressed && atLeast(f.severity, failOn))) return EXIT.FINDINGS;
  if (!report.complete && !allowIncomplete) return EXIT.INCOMPLETE;
  return EXIT.PASS;
}
