import type { Finding, Report, Severity } from './types.js';
import { SEVERITIES } from './types.js';

/** Options for the text renderer. */
export interface TextOptions {
  /** ANSI colours (the CLI turns them off for pipes and NO_COLOR). */
  colour: boolean;
}

const COLOURS: Record<Severity, string> = {
  critical: '\u001b[1;31m',
  high: '\u001b[31m',
  medium: '\u001b[33m',
  low: '\u001b[36m',
  info: '\u001b[2m',
};
const RESET = '\u001b[0m';

function where(f: Finding): string {
  let s = f.location.uri;
  if (f.location.member !== undefined) s += `!${f.location.member}`;
  if (f.location.offset !== undefined) s += `@${f.location.offset}`;
  return s;
}

/** A human-readable summary of a report, one line per finding. */
export function renderText(report: Report, opts: TextOptions = { colour: false }): string {
  const paint = (s: Severity, text: string): string => (opts.colour ? `${COLOURS[s]}${text}${RESET}` : text);
  const lines: string[] = [];
  for (const f of report.findings) {
    const tag = paint(f.severity, f.severity.toUpperCase().padEnd(8));
    const sup = f.suppressed ? ` (suppressed: ${f.suppressed.reason})` : '';
    lines.push(`${tag} ${f.ruleId}  ${where(f)}${sup}`);
    lines.push(`         ${f.message}`);
  }
  for (const e of report.errors) lines.push(`ERROR    ${e.code}  ${e.uri ?? ''}: ${e.message}`);
  // One line per reason: a model repository has many non-model files, the JSON lists them all.
  const byReason = new Map<string, string[]>();
  for (const s of report.skipped) {
    const uris = byReason.get(s.reason);
    if (uris === undefined) byReason.set(s.reason, [s.uri]);
    else uris.push(s.uri);
  }
  for (const [reason, uris] of byReason) {
    const shown = uris.slice(0, 3).join(', ') + (uris.length > 3 ? `, and ${uris.length - 3} more` : '');
    lines.push(`SKIPPED  ${reason}: ${shown}`);
  }
  const active = report.findings.filter((f) => !f.suppressed);
  const counts = SEVERITIES.map((s) => [s, active.filter((f) => f.severity === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`);
  const files = report.metrics?.files_scanned;
  const summary = [
    `${report.kind} of ${report.target}:`,
    files !== undefined ? `${files} file(s) scanned,` : '',
    counts.length ? counts.join(', ') : 'no findings',
    report.errors.length ? `, ${report.errors.length} error(s)` : '',
    report.complete ? '' : ' (INCOMPLETE)',
  ]
    .filter(Boolean)
    .join(' ');
  if (lines.length) lines.push('');
  lines.push(summary);
  return lines.join('\n') + '\n';
}
