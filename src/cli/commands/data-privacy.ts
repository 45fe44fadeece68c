/**
 * `bulwark data pseudonymize | fingerprint | diff`: subcommands mounted by the `bulwark data`
 * command (src/cli/commands/data.ts).
 */
import { Command, Option } from 'commander';
import { BulwarkError } from '../../errors.js';
import { writeFileAtomic } from '../../io/atomic-write.js';
import { diffFingerprints, fingerprintDataset, pseudonymizeDataset, readFingerprintReport, renderFingerprintDiff, MIN_PSEUDONYM_KEY_BYTES, DEFAULT_KEY_ID } from '../../data/privacy/index.js';
import { EXIT, exitIncompleteOnInputError, wantsColour, type CliIo } from '../io.js';
import { REPORT_FORMATS, renderReport, type ReportFormat } from '../render-report.js';

interface PseudonymizeFlags {
  columns: string;
  keyEnv: string;
  keyId: string;
  output: string;
  quiet?: boolean;
}

/** `bulwark data pseudonymize DATASET --columns a,b --key-env VAR [--key-id ID] --output OUT`. */
export function pseudonymizeSubcommand(io: CliIo, setExit: (code: number) => void): Command {
  return new Command('pseudonymize')
    .description('Replace the named columns by keyed HMAC-SHA-256 pseudonyms (<key-id>:<base32>), consistent across files; writes a new file atomically, never touches the input.')
    .argument('<dataset>', 'CSV, Parquet or JSON Lines file')
    .requiredOption('--columns <list>', 'comma-separated columns to pseudonymise')
    .requiredOption('--key-env <var>', `environment variable holding the secret key (at least ${MIN_PSEUDONYM_KEY_BYTES} bytes)`)
    .option('--key-id <id>', 'key id written as the pseudonym prefix (rotate keys by changing it)', DEFAULT_KEY_ID)
    .requiredOption('-o, --output <file>', 'output file (same format as the input)')
    .option('-q, --quiet', 'no summary on standard error')
    .action((dataset: string, flags: PseudonymizeFlags) => exitIncompleteOnInputError(io, setExit, async () => {
      const raw = io.env[flags.keyEnv];
      if (raw === undefined || raw === '') throw new BulwarkError('USAGE', `environment variable ${flags.keyEnv} (--key-env) is not set: it must hold the pseudonymisation key, at least ${MIN_PSEUDONYM_KEY_BYTES} bytes (e.g. export ${flags.keyEnv}="$(openssl rand -base64 48)")`);
      const key = Buffer.from(raw, 'utf8');
      if (key.length < MIN_PSEUDONYM_KEY_BYTES) throw new BulwarkError('USAGE', `the key in ${flags.keyEnv} is ${key.length} bytes; at least ${MIN_PSEUDONYM_KEY_BYTES} are needed (e.g. openssl rand -base64 48)`);
      const columns = flags.columns.split(',').map((c) => c.trim()).filter((c) => c !== '');
      const result = await pseudonymizeDataset({ input: dataset, output: flags.output, columns, key, keyId: flags.keyId });
      if (!flags.quiet) {
        const per = Object.entries(result.distinct).map(([c, n]) => `${c}: ${n} distinct`).join(', ');
        io.stderr(`pseudonymised ${result.rows} row(s) (${per}); written to ${flags.output}\n`);
      }
      setExit(EXIT.PASS);
    }));
}

interface FingerprintFlags {
  format: 'json' | ReportFormat;
  output?: string;
}

/** `bulwark data fingerprint DATASET [--output FILE]`: a data-fingerprint report (JSON by default). */
export function fingerprintSubcommand(io: CliIo, setExit: (code: number) => void): Command {
  return new Command('fingerprint')
    .description('Fingerprint a dataset: file SHA-256, an order- and format-independent content digest, schema digest, row count and column statistics.')
    .argument('<dataset>', 'CSV, Parquet or JSON Lines file')
    .addOption(new Option('-f, --format <format>', 'output format').choices(REPORT_FORMATS).default('json'))
    .option('-o, --output <file>', 'write the report to a file instead of standard output')
    .action((dataset: string, flags: FingerprintFlags) => exitIncompleteOnInputError(io, setExit, async () => {
      const report = await fingerprintDataset({ path: dataset });
      const fp = report.fingerprint;
      const suffix = `content sha256:${fp.contentSha256}\nschema  sha256:${fp.schemaSha256}\nrows    ${fp.rows}\n`;
      const colour = flags.output === undefined && flags.format === 'text' && wantsColour(io, 'stdout');
      const text = renderReport(report, flags.format, colour, suffix);
      if (flags.output !== undefined) await writeFileAtomic(flags.output, text);
      else io.stdout(text);
      setExit(EXIT.PASS);
    }));
}

interface DiffFlags {
  format: 'text' | 'json';
}

/** `bulwark data diff A.json B.json`: exit 0 when the same content and schema, 1 when different. */
export function diffSubcommand(io: CliIo, setExit: (code: number) => void): Command {
  return new Command('diff')
    .description('Compare two dataset fingerprints (from `bulwark data fingerprint`): content, schema, row count and statistics. Exit 1 when they differ.')
    .argument('<a>', 'fingerprint report (before)')
    .argument('<b>', 'fingerprint report (after)')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action((a: string, b: string, flags: DiffFlags) => exitIncompleteOnInputError(io, setExit, async () => {
      const [fa, fb] = await Promise.all([readFingerprintReport(a), readFingerprintReport(b)]);
      const diff = diffFingerprints(fa, fb);
      io.stdout(flags.format === 'json' ? `${JSON.stringify(diff, null, 2)}\n` : renderFingerprintDiff(diff, a, b));
      setExit(diff.same ? EXIT.PASS : EXIT.FINDINGS);
    }));
}
