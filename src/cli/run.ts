import { Command, CommanderError } from 'commander';
import { isBulwarkError } from '../errors.js';
import { VERSION } from '../version.js';
import { scanCommand } from './commands/scan.js';
import { signCommand } from './commands/sign.js';
import { verifyCommand } from './commands/verify.js';
import { EXIT, type CliIo } from './io.js';

/** Error codes that are the user's mistake (exit 2), not an internal failure. */
const USAGE_CODES = new Set(['USAGE', 'CONFIG_INVALID', 'FILE_NOT_FOUND', 'OUTPUT_UNWRITABLE']);

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
    .description('Bulwark: MLSecOps toolkit. Scans model artifacts without loading them; signs and verifies models (OpenSSF model signing).')
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride();
  for (const command of [scanCommand(io, setExit), signCommand(io, setExit), verifyCommand(io, setExit)]) {
    program.addCommand(command.exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr }));
  }
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
