import { Command, Option } from 'commander';
import { BOM_FORMATS, buildBom, type BomFormat } from '../../bom/index.js';
import { BulwarkError, isBulwarkError } from '../../errors.js';
import { writeFileAtomic } from '../../io/atomic-write.js';
import { SEVERITIES, type Severity } from '../../report/types.js';
import type { CliIo } from '../io.js';
import { REPORT_FORMATS, renderReport, type ReportFormat, reportExitCode } from '../render-report.js';

interface BomFlags {
  format: BomFormat;
  output?: string;
  datasetFingerprint?: string[];
  reproducible?: boolean;
  report?: string;
  reportFormat: ReportFormat;
  failOn?: Severity;
  allowIncomplete?: boolean;
  quiet?: boolean;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** The clock of a reproducible BOM: SOURCE_DATE_EPOCH (reproducible-builds.org) when set, else no timestamp. */
function reproducibleClock(io: CliIo): (() => Date) | null {
  const raw = io.env.SOURCE_DATE_EPOCH;
  if (raw === undefined || raw === '') return null;
  if (!/^\d{1,12}$/.test(raw)) throw new BulwarkError('USAGE', `SOURCE_DATE_EPOCH '${raw}': expected whole seconds since 1970-01-01 UTC`);
  const d = new Date(Number(raw) * 1000);
  return () => d;
}

/** Registers `bulwark bom`; `setExit` receives the exit code. */
export function bomCommand(io: CliIo, setExit: (code: number) => void): Command {
  return new Command('bom')
    .description('Write the ML-BOM of a model directory or project: CycloneDX 1.6 (default) or SPDX 3.0.1 JSON-LD.')
    .argument('<path>', 'model directory, weights file or project directory')
    .addOption(new Option('-f, --format <format>', 'BOM format').choices(BOM_FORMATS).default('cyclonedx'))
    .option('-o, --output <file>', 'write the BOM to a file instead of standard output')
    .option('--dataset-fingerprint <file>', 'a `bulwark data fingerprint` report JSON for a dataset (repeatable)', collect)
    .option('--reproducible', 'serial number from the content; timestamp from SOURCE_DATE_EPOCH, or none')
    .option('--report <file>', 'also write the BOM findings report (what the BOM could not determine)')
    .addOption(new Option('--report-format <format>', 'format of --report').choices(REPORT_FORMATS).default('json'))
    .addOption(new Option('--fail-on <severity>', 'exit 1 when a finding is at or above this severity').choices(SEVERITIES))
    .option('--allow-incomplete', 'exit 0 rather than 3 when some files could not be read')
    .option('-q, --quiet', 'no summary on standard error')
    .action(async (path: string, flags: BomFlags) => {
      let result;
      try {
        result = await buildBom({
          path,
          format: flags.format,
          datasetFingerprints: flags.datasetFingerprint ?? [],
          ...(flags.reproducible ? { reproducible: true, clock: reproducibleClock(io) } : {}),
        });
      } catch (err) {
        // A --dataset-fingerprint file that is not a fingerprint report is the user's input: exit 2, not 70.
        if (isBulwarkError(err, 'PARSE_ERROR')) throw new BulwarkError('USAGE', err.message, { cause: err });
        throw err;
      }
      const { document, report } = result;
      const text = `${JSON.stringify(document, null, 2)}\n`;
      if (flags.output !== undefined) await writeFileAtomic(flags.output, text);
      else io.stdout(text);
      if (flags.report !== undefined) await writeFileAtomic(flags.report, renderReport(report, flags.reportFormat, false));
      if (!flags.quiet) {
        const m = report.metrics ?? {};
        io.stderr(`bom: ${m.models ?? 0} model(s), ${m.datasets ?? 0} dataset(s), ${m.libraries ?? 0} librar${m.libraries === 1 ? 'y' : 'ies'}, ${m.parameters ?? 0} parameters${flags.output !== undefined ? `; written to ${flags.output}` : ''}\n`);
        for (const f of report.findings) io.stderr(`${f.severity.toUpperCase()} ${f.ruleId} ${f.location.uri}: ${f.message}\n`);
        for (const e of report.errors) io.stderr(`error ${e.code} ${e.uri ?? ''}: ${e.message}\n`);
      }
      setExit(reportExitCode(report, flags.failOn, flags.allowIncomplete ?? false));
    });
}
