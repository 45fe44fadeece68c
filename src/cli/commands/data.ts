import { Command, Option } from 'commander';
import { writeFileAtomic } from '../../io/atomic-write.js';
import { SEVERITIES, type Severity } from '../../report/types.js';
import { loadSuite, profileDataset, renderProfileHtml, renderSuiteYaml, suggestSuite, validateDataset } from '../../data/index.js';
import { EXIT, exitIncompleteOnInputError, wantsColour, type CliIo } from '../io.js';
import { REPORT_FORMATS, renderReport, type ReportFormat, reportExitCode } from '../render-report.js';

/** Output formats of `bulwark data profile`. */
const PROFILE_FORMATS = ['json', 'html'] as const;

interface ProfileFlags {
  format: (typeof PROFILE_FORMATS)[number];
  output?: string;
  quiet?: boolean;
}

interface SuggestFlags {
  output?: string;
  label?: string;
  quiet?: boolean;
}

interface ValidateFlags {
  suite?: string;
  label?: string;
  sourceColumn?: string;
  format: ReportFormat;
  output?: string;
  failOn: Severity | 'none';
  allowIncomplete?: boolean;
  quiet?: boolean;
}

async function emit(io: CliIo, text: string, output: string | undefined, quiet: boolean | undefined, what: string): Promise<void> {
  if (output !== undefined) {
    await writeFileAtomic(output, text);
    if (!quiet) io.stderr(`${what} written to ${output}\n`);
  } else {
    io.stdout(text);
  }
}

function profileCommand(io: CliIo, setExit: (code: number) => void): Command {
  return new Command('profile')
    .description('Profile a dataset (CSV, Parquet, JSON Lines): per column type, nulls, distinct, min/max/mean/std, quantiles, top values, histogram.')
    .argument('<dataset>', 'dataset file')
    .addOption(new Option('-f, --format <format>', 'output format').choices(PROFILE_FORMATS).default('json'))
    .option('-o, --output <file>', 'write to a file instead of standard output')
    .option('-q, --quiet', 'no progress output')
    .action(async (path: string, flags: ProfileFlags) => {
      await exitIncompleteOnInputError(io, setExit, async () => {
        const profile = await profileDataset({ path });
        const text = flags.format === 'html' ? renderProfileHtml(profile) : `${JSON.stringify(profile, null, 2)}\n`;
        await emit(io, text, flags.output, flags.quiet, 'profile');
        setExit(EXIT.PASS);
      });
    });
}

function suggestCommand(io: CliIo, setExit: (code: number) => void): Command {
  return new Command('suggest')
    .description('Suggest an expectation suite (YAML, with the reason for each expectation) from a TRUSTED dataset.')
    .argument('<dataset>', 'trusted dataset file')
    .option('-o, --output <file>', 'write the suite to a file instead of standard output')
    .option('--label <column>', 'label column: also suggest a label-balance expectation')
    .option('-q, --quiet', 'no progress output')
    .action(async (path: string, flags: SuggestFlags) => {
      await exitIncompleteOnInputError(io, setExit, async () => {
        const suite = await suggestSuite({ path, ...(flags.label !== undefined ? { suggest: { label: flags.label } } : {}) });
        await emit(io, renderSuiteYaml(suite), flags.output, flags.quiet, `suite of ${suite.expectations.length} expectations`);
        setExit(EXIT.PASS);
      });
    });
}

function validateCommand(io: CliIo, setExit: (code: number) => void): Command {
  return new Command('validate')
    .description('Validate a dataset: expectation suite, PII and injection in text columns, oversized cells, and poisoning signals with --label.')
    .argument('<dataset>', 'dataset file (CSV, Parquet, JSON Lines)')
    .option('-s, --suite <file>', 'expectation suite YAML (bulwark data suggest writes one)')
    .option('--label <column>', 'label column: run the poisoning analysis')
    .option('--source-column <column>', 'source/batch column for label-shift analysis (with --label)')
    .addOption(new Option('-f, --format <format>', 'output format').choices(REPORT_FORMATS).default('text'))
    .option('-o, --output <file>', 'write the report to a file instead of standard output')
    .addOption(new Option('--fail-on <severity>', 'exit 1 when a finding is at or above this severity').choices([...SEVERITIES, 'none']).default('medium'))
    .option('--allow-incomplete', 'exit 0 rather than 3 when the dataset could not be fully read')
    .option('-q, --quiet', 'no progress output')
    .action(async (path: string, flags: ValidateFlags) => {
      await exitIncompleteOnInputError(io, setExit, async () => {
        const suite = flags.suite !== undefined ? await loadSuite(flags.suite) : undefined;
        const report = await validateDataset({
          path,
          ...(suite !== undefined ? { suite } : {}),
          ...(flags.label !== undefined ? { label: flags.label } : {}),
          ...(flags.sourceColumn !== undefined ? { sourceColumn: flags.sourceColumn } : {}),
        });
        const colour = flags.output === undefined && flags.format === 'text' && wantsColour(io, 'stdout');
        const m = report.metrics ?? {};
        const suffix = `${m.rows ?? 0} rows, ${m.columns ?? 0} columns; ${m.expectations_failed ?? 0} of ${m.expectations_evaluated ?? 0} expectations failed; PII values ${m.pii_values ?? 0}, injection values ${m.injection_values ?? 0}\n`;
        await emit(io, renderReport(report, flags.format, colour, suffix), flags.output, flags.quiet, `${report.findings.length} finding(s); report`);
        setExit(reportExitCode(report, flags.failOn, flags.allowIncomplete ?? false));
      });
    });
}

/**
 * Registers `bulwark data` with `profile`, `suggest` and `validate`; `extraSubcommands` are added as
 * they are (pseudonymize, fingerprint, diff from the privacy/fingerprint side).
 */
export function dataCommand(io: CliIo, setExit: (code: number) => void, extraSubcommands: Command[] = []): Command {
  const data = new Command('data').description('Dataset validation: profile, suggest an expectation suite, validate (quality, PII, injection, poisoning).');
  for (const sub of [profileCommand(io, setExit), suggestCommand(io, setExit), validateCommand(io, setExit), ...extraSubcommands]) {
    data.addCommand(sub.exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr }));
  }
  return data;
}
