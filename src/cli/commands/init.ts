import { Command } from 'commander';
import { initProject } from '../../check/index.js';
import { EXIT, type CliIo } from '../io.js';

interface InitFlags {
  force?: boolean;
  stdout?: boolean;
  quiet?: boolean;
}

/** Registers `bulwark init [DIR]`; `setExit` receives the exit code. */
export function initCommand(io: CliIo, setExit: (code: number) => void): Command {
  return new Command('init')
    .description('Write a commented starter bulwark.yaml from the models, signatures, keys, datasets, suites and lockfiles found in DIR.')
    .argument('[dir]', 'the project directory', '.')
    .option('--force', 'replace an existing bulwark.yaml')
    .option('--stdout', 'print the file instead of writing it')
    .option('-q, --quiet', 'print nothing on success')
    .action(async (dir: string, flags: InitFlags) => {
      const result = await initProject({ dir, force: flags.force ?? false, dryRun: flags.stdout ?? false });
      if (flags.stdout) io.stdout(result.content);
      else if (!flags.quiet) {
        const f = result.found;
        const d = f.datasets;
        const datasets = [d.training, d.reference, d.current].filter((x) => x !== undefined).length;
        io.stderr(`wrote ${result.path}: ${f.models.length} model(s), ${datasets} dataset(s), ${f.lockfiles.length} lockfile(s), ${f.publicKeys.length} public key(s)\nreview it, then run: bulwark check --config ${result.path}\n`);
      }
      setExit(EXIT.PASS);
    });
}
