import { Command } from 'commander';
import { BulwarkError } from '../../errors.js';
import { writeFileAtomic } from '../../io/atomic-write.js';
import { buildProvenance, readProvenanceInput, signProvenance, verifyProvenance } from '../../provenance/index.js';
import { EXIT, type CliIo } from '../io.js';
import { passwordFromEnv, readCliFile } from './sign.js';

interface ProvenanceFlags {
  model?: string;
  dataset?: string[];
  baseModel?: string;
  codeRevision?: string;
  param?: string[];
  builderId?: string;
  invocationId?: string;
  startedOn?: string;
  key?: string;
  passwordEnv?: string;
  output?: string;
  quiet?: boolean;
}

interface VerifyFlags {
  publicKey: string;
  model?: string;
  quiet?: boolean;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** `k=v` pairs into a record; a key given twice or a pair without `=` is a usage error. */
export function parseParams(pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const i = p.indexOf('=');
    if (i <= 0) throw new BulwarkError('USAGE', `--param '${p}': expected KEY=VALUE`);
    const k = p.slice(0, i);
    if (Object.hasOwn(out, k)) throw new BulwarkError('USAGE', `--param ${k} is given twice`);
    out[k] = p.slice(i + 1);
  }
  return out;
}

function parseDate(value: string, flag: string): Date {
  const d = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(d.getTime())) throw new BulwarkError('USAGE', `${flag} '${value}': expected an RFC 3339 date-time, e.g. 2026-11-21T10:00:00Z`);
  return d;
}

/** Registers `bulwark provenance` (and `bulwark provenance verify`); `setExit` receives the exit code. */
export function provenanceCommand(io: CliIo, setExit: (code: number) => void): Command {
  const verify = new Command('verify')
    .description('Verify a signed provenance bundle: the signature with the trusted key, the statement, and optionally the model it names. Exit 1 on failure.')
    .argument('<bundle>', 'the provenance bundle (.json)')
    // Not `--key`: the root program reorders arguments before `provenance` sees them, so its own
    // `--key` (the signing key) would take the value (commander parses parent options first).
    .requiredOption('--public-key <file>', 'trusted EC public key, PEM or DER')
    .option('--model <dir>', 'check that this model is the statement\'s subject')
    .option('-q, --quiet', 'print nothing on success')
    .action(async (bundlePath: string, flags: VerifyFlags) => {
      const result = await verifyProvenance({
        bundle: await readProvenanceInput(bundlePath, 'provenance bundle'),
        publicKey: await readCliFile(flags.publicKey, 'public key'),
        ...(flags.model !== undefined ? { modelPath: flags.model } : {}),
      });
      if (!result.ok) {
        io.stderr(`bulwark: provenance ${bundlePath} does not verify: ${result.reason}\n`);
        setExit(EXIT.FINDINGS);
        return;
      }
      if (!flags.quiet) {
        for (const s of result.statement.subject) io.stdout(`subject ${s.name} sha256:${s.digest.sha256 ?? ''}\n`);
        io.stdout(`OK: provenance signed by the given key (builder ${result.statement.predicate.runDetails.builder.id})\n`);
      }
      setExit(EXIT.PASS);
    });
  return new Command('provenance')
    .description('Write signed SLSA v1 provenance for a training run: an in-toto statement about the model, signed as DSSE in a Sigstore bundle.')
    .option('--model <dir>', 'the trained model (directory or file): the subject')
    .option('--dataset <file>', 'a training dataset file, hashed with SHA-256 (repeatable)', collect)
    .option('--base-model <name@digest>', 'the base model, NAME@sha256:HEX')
    .option('--code-revision <rev>', 'the training code, REPO_URL@COMMIT or COMMIT')
    .option('--param <k=v>', 'a training parameter (repeatable)', collect)
    .option('--builder-id <uri>', 'the builder (CI runner, training platform) URI')
    .option('--invocation-id <id>', 'the run id (default: a random UUID)')
    .option('--started-on <date>', 'when the run started, RFC 3339')
    .option('-k, --key <file>', 'EC private key to sign with, PEM')
    .option('--password-env <var>', 'environment variable holding the private key password')
    .option('-o, --output <file>', 'write the bundle to a file instead of standard output')
    .option('-q, --quiet', 'no summary on standard error')
    .addCommand(verify)
    .action(async (flags: ProvenanceFlags) => {
      if (flags.model === undefined) throw new BulwarkError('USAGE', 'provenance needs the trained model: --model DIR');
      if (flags.key === undefined) throw new BulwarkError('USAGE', 'provenance is signed: give the private key with --key KEY.pem');
      const password = passwordFromEnv(io, flags.passwordEnv);
      const privateKey = await readCliFile(flags.key, 'private key');
      const statement = await buildProvenance({
        modelPath: flags.model,
        datasets: flags.dataset ?? [],
        parameters: parseParams(flags.param ?? []),
        ...(flags.baseModel !== undefined ? { baseModel: flags.baseModel } : {}),
        ...(flags.codeRevision !== undefined ? { codeRevision: flags.codeRevision } : {}),
        ...(flags.builderId !== undefined ? { builderId: flags.builderId } : {}),
        ...(flags.invocationId !== undefined ? { invocationId: flags.invocationId } : {}),
        ...(flags.startedOn !== undefined ? { startedOn: parseDate(flags.startedOn, '--started-on') } : {}),
      });
      const bundle = await signProvenance(statement, { privateKey, password });
      const text = `${JSON.stringify(bundle)}\n`;
      if (flags.output !== undefined) await writeFileAtomic(flags.output, text);
      else io.stdout(text);
      if (!flags.quiet) {
        const s = statement.subject[0]!;
        io.stderr(`provenance for ${s.name} sha256:${s.digest.sha256 ?? ''} signed${flags.output !== undefined ? `; written to ${flags.output}` : ''}\n`);
      }
      setExit(EXIT.PASS);
    });
}
