import { Command, Option } from 'commander';
import { BulwarkError } from '../../errors.js';
import { writeFileAtomic } from '../../io/atomic-write.js';
import {
  buildReferenceProfile,
  COLUMN_KINDS,
  CORRECTIONS,
  DRIFT_METHODS,
  driftReport,
  renderDriftHtml,
  serialiseProfile,
  type ColumnKind,
  type Correction,
  type DriftMethod,
  type DriftReport,
} from '../../drift/index.js';
import { EXIT, exitIncompleteOnInputError, wantsColour, type CliIo } from '../io.js';
import { renderReport } from '../render-report.js';

/** Output formats of `bulwark drift`. */
export const DRIFT_FORMATS = ['text', 'json', 'html', 'sarif'] as const;
type DriftFormat = (typeof DRIFT_FORMATS)[number];

interface DriftFlags {
  columns?: string;
  prediction?: string;
  target?: string;
  threshold?: string;
  alpha?: string;
  correction: Correction;
  kind?: string[];
  method?: string[];
  format: DriftFormat;
  output?: string;
  failOnDrift?: boolean;
  quiet?: boolean;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Parses repeated `col=value` flags, checking each value against `allowed`. */
export function parseAssignments<T extends string>(flag: string, items: readonly string[] | undefined, allowed: readonly T[]): Record<string, T> | undefined {
  if (!items || items.length === 0) return undefined;
  const out: Record<string, T> = {};
  for (const item of items) {
    const at = item.lastIndexOf('=');
    const col = item.slice(0, at);
    const value = item.slice(at + 1);
    if (at <= 0 || !(allowed as readonly string[]).includes(value)) {
      throw new BulwarkError('USAGE', `${flag} ${item}: expected COLUMN=VALUE with VALUE one of ${allowed.join(', ')}`);
    }
    out[col] = value as T;
  }
  return out;
}

function parseNumber(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new BulwarkError('USAGE', `${flag} ${value}: expected a number`);
  return n;
}

const fmt = (x: number | undefined): string => (x === undefined || Number.isNaN(x) ? '-' : Math.abs(x) < 1e-3 && x !== 0 ? x.toExponential(2) : x.toFixed(4));

/** The per-column table that follows the text report (padded columns). */
export function driftSummaryText(report: DriftReport): string {
  const rows = [['column', 'kind', 'test', 'statistic', 'p-value', 'threshold', 'psi', 'unseen', 'result']];
  for (const c of report.drift.columns) {
    const result = c.method === 'none' ? 'not tested' : c.drifted ? 'DRIFT' : 'ok';
    rows.push([c.column, c.kind, c.method, fmt(c.statistic), fmt(c.adjustedPValue ?? c.pValue), fmt(c.threshold), fmt(c.psi), `${(c.unseenShare * 100).toFixed(1)}%`, result]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const table = rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd());
  const m = report.metrics ?? {};
  const mv = report.drift.multivariate ? `; multivariate drift: ${report.drift.multivariate.drifted ? 'YES' : 'no'}` : '';
  const verdict = `${m.drifted_columns ?? 0}/${m.columns ?? 0} columns drifted; dataset drift: ${report.drift.datasetDrift ? 'YES' : 'no'}${mv}`;
  return `\n${table.join('\n')}\n\n${verdict}\n`;
}

/** Registers `bulwark drift` (and `bulwark drift profile`); `setExit` receives the exit code. */
export function driftCommand(io: CliIo, setExit: (code: number) => void): Command {
  async function profileAction(reference: string, flags: DriftFlags): Promise<void> {
    if (flags.output === undefined) throw new BulwarkError('USAGE', 'bulwark drift profile REFERENCE needs --output FILE');
    const output = flags.output;
    const p = await buildReferenceProfile({
      reference,
      columns: flags.columns?.split(',').map((c) => c.trim()).filter(Boolean),
      kinds: parseAssignments<ColumnKind>('--kind', flags.kind, COLUMN_KINDS),
    });
    await writeFileAtomic(output, serialiseProfile(p));
    if (!flags.quiet) io.stderr(`profiled ${p.columns.length} column(s) of ${p.source.rows} row(s); written to ${output}\n`);
    setExit(EXIT.PASS);
  }
  return new Command('drift')
    .description('Compare current data with a reference (data or a saved profile): per-column tests, dataset verdict, multivariate and prediction drift.')
    // Why not a commander subcommand: the parent's own --output would swallow `drift profile -o FILE`
    // unless the root program enabled positional options; `profile` is recognised as the first word.
    .usage('[options] REFERENCE CURRENT\n       bulwark drift profile REFERENCE --output FILE [--columns a,b] [--kind col=kind]')
    .argument('<reference>', 'reference data (CSV, Parquet, JSON Lines) or a profile from `bulwark drift profile` (a file named "profile": write ./profile)')
    .argument('[current]', 'current data (CSV, Parquet, JSON Lines); with `profile`: the reference data to summarise')
    .option('--columns <list>', 'comma-separated columns to test (default: all)')
    .option('--prediction <col>', 'the model output column (score in [0, 1] or class): prediction drift and confidence anomalies')
    .option('--target <col>', 'the label column (label drift)')
    .option('--threshold <share>', 'share of drifted columns that makes the dataset drifted (default 0.5)')
    .option('--alpha <p>', 'significance level of the p-value tests (default 0.05)')
    .addOption(new Option('--correction <method>', 'multiple-testing correction').choices(CORRECTIONS).default('none'))
    .option('--kind <col=kind>', `set a column kind (${COLUMN_KINDS.join(', ')}); repeatable`, collect)
    .option('--method <col=test>', `set a column's test (${DRIFT_METHODS.join(', ')}); repeatable`, collect)
    .addOption(new Option('-f, --format <format>', 'output format').choices(DRIFT_FORMATS).default('text'))
    .option('-o, --output <file>', 'write the report to a file instead of standard output')
    .option('--fail-on-drift', 'exit 1 when any drift finding is reported')
    .option('-q, --quiet', 'no summary on stderr')
    .action(async (reference: string, current: string | undefined, flags: DriftFlags) =>
      exitIncompleteOnInputError(io, setExit, async () => {
        if (current === undefined) throw new BulwarkError('USAGE', 'bulwark drift needs REFERENCE and CURRENT (or: bulwark drift profile REFERENCE --output FILE)');
        if (reference === 'profile') return profileAction(current, flags);
        const report = await driftReport({
          reference,
          current,
          columns: flags.columns?.split(',').map((c) => c.trim()).filter(Boolean),
          prediction: flags.prediction,
          target: flags.target,
          threshold: parseNumber('--threshold', flags.threshold),
          alpha: parseNumber('--alpha', flags.alpha),
          correction: flags.correction,
          kinds: parseAssignments<ColumnKind>('--kind', flags.kind, COLUMN_KINDS),
          methods: parseAssignments<DriftMethod>('--method', flags.method, DRIFT_METHODS),
        });
        let text: string;
        if (flags.format === 'html') text = renderDriftHtml(report);
        else {
          const colour = flags.output === undefined && flags.format === 'text' && wantsColour(io, 'stdout');
          text = renderReport(report, flags.format, colour, driftSummaryText(report));
        }
        if (flags.output !== undefined) {
          await writeFileAtomic(flags.output, text);
          if (!flags.quiet) io.stderr(`${report.findings.length} drift finding(s); report written to ${flags.output}\n`);
        } else {
          io.stdout(text);
        }
        setExit(flags.failOnDrift && report.findings.length > 0 ? EXIT.FINDINGS : EXIT.PASS);
      }),
    );
}
