import type { Command } from 'commander';
import { isBulwarkError } from '../../src/errors.js';
import type { CliIo } from '../../src/cli/io.js';

/** Runs one command factory in-process as run.ts would (until it is registered there). */
export async function runCommand(factory: (io: CliIo, setExit: (c: number) => void) => Command, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  let code = 0;
  const io: CliIo = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), stdoutIsTty: false, stderrIsTty: false, env: {}, today: '2026-11-21' };
  const cmd = factory(io, (c) => (code = c)).exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  try {
    await cmd.parseAsync(args, { from: 'user' });
  } catch (err) {
    if (isBulwarkError(err)) {
      stderr += `bulwark: ${err.message}\n`;
      // As run.ts: the user's mistakes and unparsable inputs exit 2 with the message.
      code = ['USAGE', 'CONFIG_INVALID', 'FILE_NOT_FOUND', 'FILE_UNREADABLE', 'OUTPUT_UNWRITABLE', 'PARSE_ERROR', 'UNSUPPORTED', 'LIMIT_EXCEEDED'].includes(err.code) ? 2 : 70;
    } else if ((err as { code?: string }).code?.startsWith('commander.')) code = 2;
    else throw err;
  }
  return { code, stdout, stderr };
}
