import { renderJson, renderSarif, renderText, type Report } from '../report/index.js';

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
