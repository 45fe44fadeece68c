import { Command, CommanderError } from 'commander';
import type { CliIo } from '../../src/cli/io.js';
import { isBulwarkError } from '../../src/errors.js';
import type { CliRun } from '../helpers.js';

const USAGE_CODES = new Set(['USAGE', 'CONFIG_INVALID', 'FILE_NOT_FOUND', 'OUTPUT_UNWRITABLE']);

/**
 * Runs one command factory the way src/cli/run.ts runs registered commands (same exit-code
 * mapping), so these tests do not depend on the command being registered yet.
 */
export async function runCommand(factory: (io: CliIo, setExit: (c: number) => void) => Command, args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  let exit = 0;
  const io: CliIo = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), stdoutIsTty: false, stderrIsTty: false, env, today: '2026-11-21' };
  const program = new Command('bulwark').exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  program.addCommand(factory(io, (c) => (exit = c)).exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr }));
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) exit = err.exitCode === 0 ? 0 : 2;
    else if (isBulwarkError(err) && USAGE_CODES.has(err.code)) {
      stderr += `bulwark: ${err.message}\n`;
      exit = 2;
    } else throw err;
  }
  return { code: exit, stdout, stderr };
}
