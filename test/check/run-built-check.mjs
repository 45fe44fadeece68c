// Runs the BUILT `check` and `init` commands (dist/) in this process, as bin.js will once they are
// registered in src/cli/run.ts. The end-to-end test falls back to it while `bulwark check` is not
// yet registered there; it mirrors bin.ts: real stdio, environment and today's date.
import { Command } from 'commander';
import { checkCommand } from '../../dist/cli/commands/check.js';
import { initCommand } from '../../dist/cli/commands/init.js';

let exit = 0;
const io = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  stdoutIsTty: Boolean(process.stdout.isTTY),
  stderrIsTty: Boolean(process.stderr.isTTY),
  env: process.env,
  today: new Date().toISOString().slice(0, 10),
};
const program = new Command('bulwark').exitOverride();
for (const c of [checkCommand(io, (code) => (exit = code)), initCommand(io, (code) => (exit = code))]) program.addCommand(c.exitOverride());
try {
  await program.parseAsync(process.argv.slice(2), { from: 'user' });
  process.exitCode = exit;
} catch (err) {
  if (err && typeof err === 'object' && 'exitCode' in err) process.exitCode = err.exitCode === 0 ? 0 : 2;
  else if (err && err.name === 'BulwarkError' && ['USAGE', 'CONFIG_INVALID', 'FILE_NOT_FOUND', 'OUTPUT_UNWRITABLE'].includes(err.code)) {
    process.stderr.write(`bulwark: ${err.message}\n`);
    process.exitCode = 2;
  } else {
    process.stderr.write(`bulwark: internal error: ${err?.message ?? err}\n`);
    process.exitCode = 70;
  }
}
