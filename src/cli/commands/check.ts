import { Command, Option } from 'commander';
import { DEFAULT_PROJECT_FILE, loadProjectConfig, renderCheckSummary, runCheck, type CheckProgress, type CheckResult } from '../../check/index.js';
import { BulwarkError } from '../../errors.js';
import { SEVERITIES } from '../../report/types.js';
import { verdictExitCode, wantsColour, type CliIo } from '../io.js';

/** Output formats of `bulwark check`. */
const CHECK_FORMATS = ['text', 'json'] as const;
type CheckFormat = (typeof CHECK_FORMATS)[number];

interface CheckFlags {
  config: string;
  evidence?: string;
  format: CheckFormat;
  quiet?: boolean;
}

/** The machine-readable result: verdict, reasons and one summary row per analyser. */
function checkResultJson(result: CheckResult): string {
  const doc = {
    verdict: result.verdict.verdict,
    reasons: result.verdict.reasons,
    evidence: result.evidenceDir,
    analysers: result.entries.map((e) => ({
      kind: e.kind,
      status: e.status,
      complete: e.report.complete,
      findings: Object.fromEntries(SEVERITIES.map((s) => [s, e.report.findings.filter((f) => f.suppressed === undefined && f.severity === s).length])),
      metrics: e.report.metrics ?? {},
      errors: e.report.errors,
    })),
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

function progressLine(p: CheckProgress): string {
  switch (p.phase) {
    case 'start':
      return `[${p.index + 1}/${p.total}] ${p.title}…`;
    case 'done':
      return `[${p.index + 1}/${p.total}] ${p.title}: ${p.status}`;
    case 'policy':
      return 'evaluating the policy…';
    case 'evidence':
      return `writing evidence to ${p.dir}…`;
    default: {
      const never: never = p;
      return never;
    }
  }
}

/** Registers `bulwark check`; `setExit` receives the exit code. */
export function checkCommand(io: CliIo, setExit: (code: number) => void): Command {
  return new Command('check')
    .description('Run every analyser the project file configures, write the evidence directory and gate on the policy. Exit 0 pass, 1 fail, 3 incomplete, 2 usage.')
    .option('-c, --config <file>', 'the project file', DEFAULT_PROJECT_FILE)
    .option('-e, --evidence <dir>', "evidence directory (default: the project file's `evidence`, else bulwark-evidence beside it)")
    .addOption(new Option('-f, --format <format>', 'output format of the summary').choices(CHECK_FORMATS).default('text'))
    .option('-q, --quiet', 'no progress output')
    .action(async (flags: CheckFlags) => {
      const config = await loadProjectConfig(flags.config);
      let signingPassword: string | undefined;
      const envName = config.signing?.passwordEnv;
      if (envName !== undefined) {
        signingPassword = io.env[envName];
        if (signingPassword === undefined) throw new BulwarkError('USAGE', `${flags.config}: signing.passwordEnv names ${envName}, which is not set`);
      }
      const showProgress = io.stderrIsTty && !flags.quiet;
      const result = await runCheck({
        configPath: flags.config,
        config,
        evidenceDir: flags.evidence,
        signingPassword,
        today: io.today,
        onProgress: showProgress ? (p) => io.stderr(`\r\u001b[2K${progressLine(p)}`) : undefined,
      });
      if (showProgress) io.stderr('\r\u001b[2K');
      io.stdout(flags.format === 'json' ? checkResultJson(result) : renderCheckSummary(result, { colour: wantsColour(io, 'stdout') }));
      setExit(verdictExitCode(result.verdict.verdict));
    });
}
