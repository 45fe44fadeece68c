import { readFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { BulwarkError, isBulwarkError } from '../../errors.js';
import { signModel, type SignerSpec } from '../../sign/index.js';
import { EXIT, type CliIo } from '../io.js';

/** Output formats of `bulwark sign`. */
export const SIGN_FORMATS = ['text', 'json'] as const;
type SignFormat = (typeof SIGN_FORMATS)[number];

interface SignFlags {
  key?: string;
  passwordEnv?: string;
  certificate?: string;
  chain?: string[];
  sigstore?: boolean;
  identityTokenEnv?: string;
  fulcioUrl?: string;
  rekorUrl?: string;
  signature?: string;
  method: 'files' | 'shards';
  shardSize?: string;
  hash: 'sha256' | 'blake2b';
  ignore?: string[];
  allowSymlinks?: boolean;
  order: 'code-point' | 'path-components';
  singleFileName: 'dot' | 'basename';
  format: SignFormat;
  quiet?: boolean;
}

/** Reads a key or certificate file given on the command line (missing = usage error). */
export async function readCliFile(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new BulwarkError('FILE_NOT_FOUND', `${what} ${path}: ${(err as Error).message}`, { cause: err });
  }
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function envValue(io: CliIo, name: string, what: string): string {
  const v = io.env[name];
  if (v === undefined) throw new BulwarkError('USAGE', `${what}: environment variable ${name} is not set`);
  return v;
}

/** The private key password that `--password-env VAR` names (none without the flag; an unset VAR is a usage error). */
export function passwordFromEnv(io: CliIo, passwordEnv: string | undefined): string | undefined {
  return passwordEnv !== undefined ? envValue(io, passwordEnv, '--password-env') : undefined;
}

async function signerFrom(flags: SignFlags, io: CliIo): Promise<SignerSpec> {
  const modes = [flags.sigstore ? 'sigstore' : '', flags.certificate !== undefined ? 'certificate' : '', flags.key !== undefined && flags.certificate === undefined ? 'key' : ''].filter(Boolean);
  if (modes.length !== 1) throw new BulwarkError('USAGE', 'give exactly one signing method: --key KEY.pem, --certificate CERT --key KEY [--chain CHAIN], or --sigstore');
  const password = passwordFromEnv(io, flags.passwordEnv);
  if (flags.sigstore) {
    if (flags.key !== undefined) throw new BulwarkError('USAGE', '--sigstore signs keylessly: do not give --key');
    return {
      kind: 'sigstore',
      identityToken: flags.identityTokenEnv !== undefined ? envValue(io, flags.identityTokenEnv, '--identity-token-env') : undefined,
      fulcioURL: flags.fulcioUrl,
      rekorURL: flags.rekorUrl,
    };
  }
  if (flags.key === undefined) throw new BulwarkError('USAGE', '--certificate needs the private key of the certificate: --key KEY.pem');
  const privateKey = await readCliFile(flags.key, 'private key');
  if (flags.certificate === undefined) return { kind: 'key', privateKey, password };
  const chain = flags.chain?.length ? Buffer.concat(await Promise.all(flags.chain.map((c) => readCliFile(c, 'certificate chain')))) : undefined;
  return { kind: 'certificate', privateKey, password, certificate: await readCliFile(flags.certificate, 'certificate'), chain };
}

/** Registers `bulwark sign`; `setExit` receives the exit code. */
export function signCommand(io: CliIo, setExit: (code: number) => void): Command {
  return new Command('sign')
    .description('Sign a model (directory or file) in the OpenSSF Model Signing (OMS v1.0) format, verifiable by Bulwark and by model_signing (Python, Go).')
    .argument('<path>', 'model directory or single model file')
    .option('-k, --key <file>', 'EC private key, PEM (SEC1, PKCS#8 or encrypted PKCS#8; P-256, P-384, P-521)')
    .option('--password-env <var>', 'environment variable holding the private key password')
    .option('--certificate <file>', 'signing certificate, PEM (with --key; its key must match)')
    .option('--chain <file>', 'intermediate certificates, PEM (repeatable)', collect)
    .option('--sigstore', 'keyless Sigstore signing (Fulcio + Rekor; needs the network and an OIDC identity)')
    .option('--identity-token-env <var>', 'with --sigstore: environment variable holding an OIDC identity token')
    .option('--fulcio-url <url>', 'with --sigstore: Fulcio instance')
    .option('--rekor-url <url>', 'with --sigstore: Rekor instance')
    .option('-s, --signature <file>', 'where to write the signature (default: model.sig in the model directory, <file>.sig for a file)')
    .addOption(new Option('--method <method>', 'serialization: one digest per file, or per shard').choices(['files', 'shards']).default('files'))
    .option('--shard-size <bytes>', 'shard size in bytes with --method shards (default 1000000000)')
    .addOption(new Option('--hash <algorithm>', 'file hash').choices(['sha256', 'blake2b']).default('sha256'))
    .option('--ignore <path>', 'path relative to the model root to leave out (repeatable)', collect)
    .option('--allow-symlinks', 'follow symbolic links (hash their targets) instead of refusing them')
    .addOption(new Option('--order <order>', 'resource order: code point (OMS spec, Go) or path components (Python reference)').choices(['code-point', 'path-components']).default('code-point'))
    .addOption(new Option('--single-file-name <style>', 'a single-file model\'s resource name: "." (Python reference) or its file name').choices(['dot', 'basename']).default('dot'))
    .addOption(new Option('-f, --format <format>', 'output format').choices(SIGN_FORMATS).default('text'))
    .option('-q, --quiet', 'no progress output')
    .action(async (path: string, flags: SignFlags) => {
      const signer = await signerFrom(flags, io);
      let shardSize: number | undefined;
      if (flags.shardSize !== undefined) {
        shardSize = Number(flags.shardSize);
        if (!/^\d+$/.test(flags.shardSize) || !Number.isSafeInteger(shardSize) || shardSize <= 0) throw new BulwarkError('USAGE', `--shard-size must be a positive integer, got ${flags.shardSize}`);
        if (flags.method !== 'shards') throw new BulwarkError('USAGE', '--shard-size needs --method shards');
      }
      const showProgress = io.stderrIsTty && !flags.quiet;
      try {
        const result = await signModel({
          modelPath: path,
          signer,
          signaturePath: flags.signature,
          method: flags.method,
          ...(shardSize !== undefined ? { shardSize } : {}),
          hashType: flags.hash,
          ignorePaths: flags.ignore ?? [],
          allowSymlinks: flags.allowSymlinks ?? false,
          order: flags.order,
          singleFileName: flags.singleFileName,
          onProgress: showProgress ? (p) => io.stderr(`\r\u001b[2Khashing ${(p.bytesDone / 1e6).toFixed(0)}/${(p.bytesTotal / 1e6).toFixed(0)} MB`) : undefined,
        });
        if (showProgress) io.stderr('\r\u001b[2K');
        for (const w of result.manifest.warnings) io.stderr(`bulwark: warning: ${w}\n`);
        const m = result.manifest;
        switch (flags.format) {
          case 'text':
            io.stdout(`signed ${m.subjectName}: ${m.files} file(s), ${m.bytes} bytes, ${m.resources.length} resource(s), sha256:${m.rootDigest}\nsignature written to ${result.signaturePath}\n`);
            break;
          case 'json':
            io.stdout(
              JSON.stringify(
                { signature: result.signaturePath, subject: { name: m.subjectName, digest: { sha256: m.rootDigest } }, files: m.files, bytes: m.bytes, resources: m.resources.length, serialization: m.serialization, warnings: m.warnings },
                null,
                2,
              ) + '\n',
            );
            break;
          default: {
            const never: never = flags.format;
            return never;
          }
        }
        setExit(EXIT.PASS);
      } catch (err) {
        // A model Bulwark refuses to sign (symlink, limit) is the user's to fix; an unreadable file leaves it unsigned.
        if (isBulwarkError(err, 'UNSUPPORTED') || isBulwarkError(err, 'LIMIT_EXCEEDED')) {
          io.stderr(`bulwark: ${err.message}\n`);
          setExit(EXIT.USAGE);
          return;
        }
        if (isBulwarkError(err, 'FILE_UNREADABLE')) {
          io.stderr(`bulwark: ${err.message}\n`);
          setExit(EXIT.INCOMPLETE);
          return;
        }
        throw err;
      }
    });
}
