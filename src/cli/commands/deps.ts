import { stat } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { auditDependencies, defaultOsvDbDir, importOsvExports } from '../../deps/index.js';
import { BulwarkError } from '../../errors.js';
import { writeFileAtomic } from '../../io/atomic-write.js';
import { SEVERITIES, type Severity } from '../../report/types.js';
import { EXIT, wantsColour, type CliIo } from '../io.js';
import { REPORT_FORMATS, renderReport, type ReportFormat, reportExitCode } from '../render-report.js';

/** Output formats of `bulwark deps`. */
export const DEPS_FORMATS = REPORT_FORMATS;

/** `--fail-on` default: known high and critical vulnerabilities fail the run; unpinned (medium) requirements do not. */
export const DEFAULT_DEPS_FAIL_ON: Severity = 'high';

interface DepsFlags {
  osvDb?: string;
  format: ReportFormat;
  output?: string;
  failOn?: Severity | 'none';
  allowIncomplete?: boolean;
  quiet?: boolean;
}

async function isDirectory(p: string): Promise<boolean> {
  return stat(p).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

/** The database to read: `--osv-db`, else the imported default; a USAGE error saying how to get one otherwise. */
async function resolveDb(io: CliIo, flag: string | undefined): Promise<string> {
  if (flag !== undefined) {
    if (!(await isDirectory(flag))) throw new BulwarkError('USAGE', `--osv-db ${flag}: not a directory (expected an OSV export: DIR/<Ecosystem>/all.zip or DIR/<Ecosystem>/*.json)`);
    return flag;
  }
  const dflt = defaultOsvDbDir(io.env);
  if (dflt !== undefined && (await isDirectory(dflt))) return dflt;
  throw new BulwarkError(
    'USAGE',
    `no OSV database: pass --osv-db DIR, or import one first with 'bulwark deps db import PyPI-all.zip npm-all.zip' (downloads: https://osv-vulnerabilities.storage.googleapis.com/<Ecosystem>/all.zip)${dflt !== undefined ? `; the default location is ${dflt}` : ''}`,
  );
}

function dbImportCommand(io: CliIo, setExit: (code: number) => void): Command {
  return new Command('import')
    .description('Import OSV exports (all.zip archives or single <ID>.json records) into the local database used when --osv-db is not given. Offline; the database is replaced atomically.')
    .argument('<files...>', 'OSV export files')
    .option('--osv-db <dir>', 'database directory to write (default: $BULWARK_HOME/osv, $XDG_CACHE_HOME/bulwark/osv or ~/.cache/bulwark/osv)')
    .option('-q, --quiet', 'print nothing on success')
    .action(async (files: string[], flags: { osvDb?: string; quiet?: boolean }) => {
      const dest = flags.osvDb ?? defaultOsvDbDir(io.env);
      if (dest === undefined) throw new BulwarkError('USAGE', 'cannot tell where the OSV database goes: set BULWARK_HOME or HOME, or pass --osv-db DIR');
      const r = await importOsvExports({ files, dest });
      for (const e of r.errors) io.stderr(`bulwark: ${e.uri ?? ''}: ${e.message}\n`);
      if (flags.quiet !== true) io.stderr(`imported ${r.imported} record(s); ${r.records} in ${r.dest}\n`);
      setExit(r.errors.length > 0 ? EXIT.INCOMPLETE : EXIT.PASS);
    });
}

/** Registers `bulwark deps` (and `bulwark deps db import`); `setExit` receives the exit code. */
export function depsCommand(io: CliIo, setExit: (code: number) => void): Command {
  const db = new Command('db').description('Manage the local OSV database').addCommand(dbImportCommand(io, setExit));
  return new Command('deps')
    .description('Audit lockfiles (requirements*.txt, poetry.lock, Pipfile.lock, uv.lock, environment.yml, package-lock.json) against an offline OSV database.')
    .argument('<path>', 'project directory (searched for lockfiles) or one lockfile')
    .option('--osv-db <dir>', 'OSV database directory: DIR/<Ecosystem>/all.zip or DIR/<Ecosystem>/*.json (default: the one `deps db import` wrote)')
    .addOption(new Option('-f, --format <format>', 'output format').choices(DEPS_FORMATS).default('text'))
    .option('-o, --output <file>', 'write the report to a file instead of standard output')
    .addOption(new Option('--fail-on <severity>', `exit 1 when a finding is at or above this severity (default: ${DEFAULT_DEPS_FAIL_ON})`).choices([...SEVERITIES, 'none']))
    .option('--allow-incomplete', 'exit 0 rather than 3 when a lockfile or database record could not be read')
    .option('-q, --quiet', 'no summary on standard error')
    .addCommand(db)
    .action(async (path: string, flags: DepsFlags) => {
      const osvDb = await resolveDb(io, flags.osvDb);
      const report = await auditDependencies({ path, osvDb });
      const colour = flags.output === undefined && flags.format === 'text' && wantsColour(io, 'stdout');
      const text = renderReport(report, flags.format, colour);
      if (flags.output !== undefined) {
        await writeFileAtomic(flags.output, text);
        if (flags.quiet !== true) io.stderr(`${report.findings.length} finding(s); report written to ${flags.output}\n`);
      } else {
        io.stdout(text);
      }
      setExit(reportExitCode(report, flags.failOn ?? DEFAULT_DEPS_FAIL_ON, flags.allowIncomplete ?? false));
    });
}
