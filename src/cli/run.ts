import { Command, CommanderError } from 'commander';
import { isBulwarkError } from '../errors.js';
import { VERSION } from '../version.js';
import { attestCommand } from './commands/attest.js';
import { bomCommand } from './commands/bom.js';
import { checkCommand } from './commands/check.js';
import { diffSubcommand, fingerprintSubcommand, pseudonymizeSubcommand } from './commands/data-privacy.js';
import { dataCommand } from './commands/data.js';
import { depsCommand } from './commands/deps.js';
import { driftCommand } from './commands/drift.js';
import { initCommand } from './commands/init.js';
import { monitorCommand } from './commands/monitor.js';
import { policyCommand } from './commands/policy.js';
import { provenanceCommand } from './commands/provenance.js';
import { scanCommand } from './commands/scan.js';
import { signCommand } from './commands/sign.js';
import { verifyCommand } from './commands/verify.js';
import { EXIT, type CliIo } from './io.js';

/**
 * Error codes that are the user's mistake or their input's (exit 2 with the message), not an
 * internal failure: a command that reads one dataset, lockfile or report and cannot parse it stops
 * with a clear error. (The scanner turns unreadable files into report errors instead, exit 3.)
 */
const USAGE_CODES = new Set(['USAGE', 'CONFIG_INVALID', 'FILE_NOT_FOUND', 'FILE_UNREADABLE', 'OUTPUT_UNWRITABLE', 'PARSE_ERROR', 'UNSUPPORTED', 'LIMIT_EXCEEDED']);

/** Every command, in the order `--help` lists them: the pipeline first, then each analyser. */
function commandsOf(io: CliIo, setExit: (code: number) => void): Command[] {
  return [
    checkCommand(io, setExit),
    initCommand(io, setExit),
    scanCommand(io, setExit),
    signCommand(io, setExit),
    verifyCommand(io, setExit),
    dataCommand(io, setExit, [pseudonymizeSubcommand(io, setExit), fingerprintSubcommand(io, setExit), diffSubcommand(io, setExit)]),
    driftCommand(io, setExit),
    monitorCommand(io, setExit),
    depsCommand(io, setExit),
    bomCommand(io, setExit),
    provenanceCommand(io, setExit),
    attestCommand(io, setExit),
    policyCommand(io, setExit),
  ];
}

/** Commander settings every command and nested subcommand needs: errors as exceptions, output via io. */
function configureTree(command: Command, io: CliIo): Command {
  command.exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  for (const sub of command.commands) configureTree(sub, io);
  return command;
}

/**
 * Runs the CLI on `argv` (without the node and script entries) and returns the exit code.
 * Never throws and never exits: bin.ts does that.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let exit: number = EXIT.PASS;
  const setExit = (code: number): void => {
    exit = code;
  };
  const program = new Command('bulwark')
    .description(
      'Bulwark: MLSecOps toolkit. Scans model artifacts without loading them, signs and verifies models (OpenSSF model signing), ' +
        'validates datasets, monitors drift, audits dependencies, writes ML-BOMs and gates pipelines on signed evidence.',
    )
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride();
  for (const command of commandsOf(io, setExit)) program.addCommand(configureTree(command, io));
  try {
    await program.parseAsync([...argv], { from: 'user' });
    if (argv.length === 0) {
      io.stdout(program.helpInformation());
      return EXIT.USAGE;
    }
    return exit;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version exit 0; anything else commander rejects is a usage error.
      return err.exitCode === 0 ? EXIT.PASS : EXIT.USAGE;
    }
    if (isBulwarkError(err) && USAGE_CODES.has(err.code)) {
      io.stderr(`bulwark: ${err.message}\n`);
      return EXIT.USAGE;
    }
    const detail = io.env.BULWARK_DEBUG ? `\n${(err as Error).stack ?? String(err)}` : ' (set BULWARK_DEBUG=1 for details)';
    io.stderr(`bulwark: internal error: ${(err as Error).message}${detail}\nPlease report this at https://github.com/bulwark-mlsecops/bulwark/issues\n`);
    return EXIT.INTERNAL;
  }
}
