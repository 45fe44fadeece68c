import { readFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { parseReport, signStatement, statementForReport, verifyAttestation, type AttestationSigner, type AttestationTrust } from '../../attest/index.js';
import { BulwarkError } from '../../errors.js';
import { writeFileAtomic } from '../../io/atomic-write.js';
import type { Report } from '../../report/types.js';
import { EXIT, type CliIo } from '../io.js';
import { passwordFromEnv, readCliFile } from './sign.js';

/** Output formats of `bulwark attest verify`. */
export const ATTEST_VERIFY_FORMATS = ['text', 'json'] as const;

/** Largest report file `bulwark attest` reads (bytes). */
const MAX_REPORT_BYTES = 256 * 1024 * 1024;

interface AttestFlags {
  verify?: boolean;
  key?: string;
  certificateRoot?: string;
  format: (typeof ATTEST_VERIFY_FORMATS)[number];
  passwordEnv?: string;
  certificate?: string;
  chain?: string;
  output?: string;
  quiet?: boolean;
}

/** Reads and validates a report JSON file (usage errors name the file and the field). */
export async function readReportFile(path: string): Promise<Report> {
  let text: string;
  try {
    const buf = await readFile(path);
    if (buf.length > MAX_REPORT_BYTES) throw new BulwarkError('LIMIT_EXCEEDED', `${path}: ${buf.length} bytes, over ${MAX_REPORT_BYTES}`);
    text = buf.toString('utf8');
  } catch (err) {
    if (err instanceof BulwarkError) throw err;
    throw new BulwarkError('FILE_NOT_FOUND', `report ${path}: ${(err as Error).message}`, { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new BulwarkError('CONFIG_INVALID', `${path}: not JSON (${(err as Error).message}); expected a Bulwark report (--format json output)`, { cause: err });
  }
  const r = parseReport(json);
  if (!r.ok) throw new BulwarkError('CONFIG_INVALID', `${path}: not a Bulwark report (${r.error})`);
  return r.report;
}

async function signerFrom(flags: AttestFlags, io: CliIo): Promise<AttestationSigner> {
  if (flags.key === undefined) throw new BulwarkError('USAGE', 'give the signing key: --key KEY.pem (and --certificate CERT.pem [--chain CHAIN.pem] to sign with a certificate), or --verify BUNDLE --key PUB.pem');
  const password = passwordFromEnv(io, flags.passwordEnv);
  return {
    privateKey: await readCliFile(flags.key, 'private key'),
    password,
    certificate: flags.certificate !== undefined ? await readCliFile(flags.certificate, 'certificate') : undefined,
    chain: flags.chain !== undefined ? await readCliFile(flags.chain, 'certificate chain') : undefined,
  };
}

/** Trust for verification from `--key` or `--certificate-root` (exactly one). */
export async function attestTrustFrom(flags: { key?: string | undefined; certificateRoot?: string | undefined }): Promise<AttestationTrust> {
  if ((flags.key === undefined) === (flags.certificateRoot === undefined)) throw new BulwarkError('USAGE', 'give exactly one trust: --key PUB.pem or --certificate-root ROOT.pem');
  if (flags.key !== undefined) return { publicKey: await readCliFile(flags.key, 'public key') };
  return { certificateRoots: await readCliFile(flags.certificateRoot ?? '', 'certificate root') };
}

async function runVerify(io: CliIo, setExit: (code: number) => void, bundlePath: string, flags: AttestFlags): Promise<void> {
  const trust = await attestTrustFrom(flags);
  const text = (await readCliFile(bundlePath, 'attestation bundle')).toString('utf8');
  const v = verifyAttestation(text, { trust });
  if (!v.ok) {
    if (flags.format === 'json') io.stdout(JSON.stringify({ verified: false, failure: v.failure, error: v.error }, null, 2) + '\n');
    else io.stdout(`NOT VERIFIED (${v.failure}): ${bundlePath}: ${v.error}\n`);
    setExit(EXIT.FINDINGS);
    return;
  }
  if (flags.output !== undefined && v.report) await writeFileAtomic(flags.output, JSON.stringify(v.report, null, 2) + '\n');
  const signer = v.signer.kind === 'key' ? `key ${v.signer.keyHint}` : `certificate ${v.signer.subject}${v.signer.subjectAltName ? ` (${v.signer.subjectAltName})` : ''}`;
  if (flags.format === 'json') {
    io.stdout(JSON.stringify({ verified: true, predicateType: v.statement.predicateType, subject: v.statement.subject, signer: v.signer, report: v.report ?? null }, null, 2) + '\n');
  } else {
    const lines = [`OK: ${bundlePath} verifies (signed by ${signer})`, `predicate ${v.statement.predicateType}`, ...v.statement.subject.map((s) => `subject ${s.name} sha256:${s.digest.sha256 ?? '?'}`)];
    if (v.report) lines.push(`report: ${v.report.kind} of ${v.report.target}, ${v.report.findings.length} finding(s), ${v.report.complete ? 'complete' : 'INCOMPLETE'}`);
    io.stdout(lines.join('\n') + '\n');
  }
  setExit(EXIT.PASS);
}

/**
 * Registers `bulwark attest REPORT.json --key KEY.pem [--output FILE]` (sign a report as an in-toto
 * attestation) and `bulwark attest --verify BUNDLE --key PUB.pem` (check one: exit 0 verified,
 * 1 not); `setExit` receives the exit code.
 */
export function attestCommand(io: CliIo, setExit: (code: number) => void): Command {
  return new Command('attest')
    .description('Sign a Bulwark report (--format json output) as an in-toto attestation (DSSE in a Sigstore bundle) about its subjects\' digests; with --verify, check an attestation (exit 1 when it does not verify).')
    .argument('<file>', 'report JSON to attest, or with --verify the attestation bundle (*.sigstore.json)')
    .option('--verify', 'verify the bundle FILE: signer, DSSE signature, in-toto statement and the report it carries')
    .option('-k, --key <file>', 'signing: EC private key, PEM (P-256, P-384, P-521; the keys of `bulwark sign`); --verify: the trusted public key')
    .option('--password-env <var>', 'environment variable holding the private key password')
    .option('--certificate <file>', 'signing certificate, PEM (the bundle then carries the chain instead of a key hint)')
    .option('--chain <file>', 'intermediate certificates, PEM')
    .option('--certificate-root <file>', '--verify: trusted root certificate(s), PEM')
    .addOption(new Option('-f, --format <format>', '--verify output format').choices(ATTEST_VERIFY_FORMATS).default('text'))
    .option('-o, --output <file>', 'signing: write the bundle here (default: standard output); --verify: write the verified report here')
    .option('-q, --quiet', 'no confirmation on standard error')
    .action(async (reportPath: string, flags: AttestFlags) => {
      if (flags.verify) {
        await runVerify(io, setExit, reportPath, flags);
        return;
      }
      if (flags.certificateRoot !== undefined) throw new BulwarkError('USAGE', '--certificate-root is for --verify; to sign with a certificate give --certificate CERT.pem --key KEY.pem');
      const signer = await signerFrom(flags, io);
      const report = await readReportFile(reportPath);
      const bundle = await signStatement(statementForReport(report), signer);
      const text = JSON.stringify(bundle) + '\n';
      if (flags.output !== undefined) {
        await writeFileAtomic(flags.output, text);
        if (!flags.quiet) io.stderr(`attested the ${report.kind} report of ${report.target} (${report.subjects.length} subject(s)); bundle written to ${flags.output}\n`);
      } else {
        io.stdout(text);
      }
      setExit(EXIT.PASS);
    });
}
