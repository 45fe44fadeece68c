import { Command, Option } from 'commander';
import { writeFileAtomic } from '../../io/atomic-write.js';
import { renderText } from '../../report/render-text.js';
import { SEVERITIES, type Severity } from '../../report/types.js';
import { loadScanConfig, type ScanConfig } from '../../scan/config.js';
import { scan } from '../../scan/scan.js';
import { wantsColour, type CliIo } from '../io.js';
import { REPORT_FORMATS, renderReport, type ReportFormat, reportExitCode } from '../render-report.js';

interface ScanFlags {
  format: ReportFormat;
  output?: string;
  failOn?: Severity | 'none';
  config?: string;
  digest?: boolean;
  allowIncomplete?: boolean;
  quiet?: boolean;
}

/** Registers `bulwark scan`; `setExit` receives the exit code. */
export function scanCommand(io: CliIo, setExit: (code: number) => void): Command {
  return new Command('scan')
    .description('Scan model files and directories for code-execution payloads, without loading them.')
    .argument('<paths...>', 'files or directories (scanned recursively)')
    .addOption(new Option('-f, --format <format>', 'output format').choices(REPORT_FORMATS).default('text'))
    .option('-o, --output <file>', 'write the report to a file instead of standard output')
    .addOption(
      new Option('--fail-on <severity>', 'exit 1 when a finding is at or above this severity (default: high, or the config file\'s failOn)').choices([
        ...SEVERITIES,
        'none',
      ]),
    )
    .option('-c, --config <file>', 'JSON or YAML config: allow/deny lists, suppressions, limits, failOn')
    .option('--digest', 'record the SHA-256 of every scanned file as a report subject (reads every byte)')
    .option('--allow-incomplete', 'exit 0 rather than 3 when some content could not be analysed')
    .option('-q, --quiet', 'no progress output')
    .action(async (paths: string[], flags: ScanFlags) => {
      const config: ScanConfig = flags.config ? await loadScanConfig(flags.config) : {};
      const showProgress = io.stderrIsTty && !flags.quiet;
      const report = await scan({
        paths,
        allow: config.allow ?? [],
        deny: config.deny ?? [],
        suppress: config.suppress ?? [],
        limits: config.limits ?? {},
        digest: flags.digest ?? false,
        today: io.today,
        onProgress: showProgress
          ? (p) => io.stderr(`\r\u001b[2Kscanning ${p.done}/${p.total} ${p.uri.length > 60 ? '…' + p.uri.slice(-59) : p.uri}`)
          : () => undefined,
      });
      if (showProgress) io.stderr('\r\u001b[2K');
      const colour = flags.output === undefined && flags.format === 'text' && wantsColour(io, 'stdout');
      const text = renderReport(report, flags.format, colour);
      if (flags.output !== undefined) {
        await writeFileAtomic(flags.output, text);
        if (!flags.quiet) io.stderr(renderText({ ...report, findings: [], errors: [], skipped: [] }).replace('no findings', `${report.findings.length} finding(s)`) + `report written to ${flags.output}\n`);
      } else {
        io.stdout(text);
      }
      const failOn = flags.failOn ?? config.failOn ?? 'high';
      setExit(reportExitCode(report, failOn, flags.allowIncomplete ?? false));
    });
}
