import { Command, Option } from 'commander';
import { BulwarkError, isBulwarkError } from '../../errors.js';
import { writeFileAtomic } from '../../io/atomic-write.js';
import type { Report } from '../../report/types.js';
import { verifyModel, type TrustSpec } from '../../sign/index.js';
import { EXIT, wantsColour, type CliIo } from '../io.js';
import { REPORT_FORMATS, renderReport, type ReportFormat } from '../render-report.js';
import { readCliFile } from './sign.js';

/** Output formats of `bulwark verify`. */
export const VERIFY_FORMATS = REPORT_FORMATS;
type VerifyFormat = ReportFormat;

interface VerifyFlags {
  key?: string;
  certificateRoot?: string[];
  identity?: string;
  issuer?: string;
  trustedRoot?: string;
  signature?: string;
  ignoreUnsigned?: boolean;
  ignore?: string[];
  format: VerifyFormat;
  output?: string;
  allowIncomplete?: boolean;
  quiet?: boolean;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Exit code of a verify report: any active finding fails (1), then incompleteness (3). */
export function verifyExitCode(report: Report, allowIncomplete: boolean): number {
  if (report.findings.some((f) => !f.suppressed)) return EXIT.FINDINGS;
  if (!report.complete && !allowIncomplete) return EXIT.INCOMPLETE;
  return EXIT.PASS;
}

async function trustFrom(flags: VerifyFlags): Promise<TrustSpec> {
  const keyless = flags.identity !== undefined || flags.issuer !== undefined;
  const modes = [flags.key !== undefined, (flags.certificateRoot?.length ?? 0) > 0, keyless].filter(Boolean).length;
  if (modes !== 1) throw new BulwarkError('USAGE', 'give exactly one trust: --key PUB.pem, --certificate-root ROOT.pem, or --identity ID --issuer URL');
  if (flags.key !== undefined) return { kind: 'key', publicKey: await readCliFile(flags.key, 'public key') };
  if (flags.certificateRoot?.length) {
    return { kind: 'certificate', roots: Buffer.concat(await Promise.all(flags.certificateRoot.map((r) => readCliFile(r, 'certificate root')))) };
  }
  if (flags.identity === undefined || flags.issuer === undefined) throw new BulwarkError('USAGE', 'keyless verification needs both --identity and --issuer');
  return {
    kind: 'sigstore',
    identity: flags.identity,
    issuer: flags.issuer,
    trustedRoot: flags.trustedRoot !== undefined ? await readCliFile(flags.trustedRoot, 'trusted root') : undefined,
  };
}

/** The subject and verdict lines that follow the text report. */
function verdictLines(report: Report): string {
  const subject = report.subjects.map((s) => `subject ${s.name} sha256:${s.digest.sha256}\n`).join('');
  const verdict = report.findings.length === 0 && report.complete ? 'OK: the model matches its signature\n' : '';
  return subject + verdict;
}

/** Registers `bulwark verify`; `setExit` receives the exit code. */
export function verifyCommand(io: CliIo, setExit: (code: number) => void): Command {
  return new Command('verify')
    .description('Verify a model against its OpenSSF Model Signing (OMS) signature: the signer, then every file. Exit 1 on any mismatch.')
    .argument('<path>', 'model directory or single model file')
    .option('-k, --key <file>', 'trusted EC public key, PEM or DER')
    .option('--certificate-root <file>', 'trusted root certificate(s), PEM (repeatable)', collect)
    .option('--identity <id>', 'keyless: the signer identity (e-mail or URI) in the Fulcio certificate')
    .option('--issuer <url>', 'keyless: the OIDC issuer in the Fulcio certificate')
    .option('--trusted-root <file>', 'keyless: Sigstore trusted_root.json for offline verification (default: fetch the public-good root)')
    .option('-s, --signature <file>', 'signature file (default: model.sig in the model directory, <file>.sig for a file)')
    .option('--ignore-unsigned', 'accept files the signature does not cover')
    .option('--ignore <path>', 'path relative to the model root to leave out (repeatable)', collect)
    .addOption(new Option('-f, --format <format>', 'output format').choices(VERIFY_FORMATS).default('text'))
    .option('-o, --output <file>', 'write the report to a file instead of standard output')
    .option('--allow-incomplete', 'exit 0 rather than 3 when some files could not be read')
    .option('-q, --quiet', 'no progress output')
    .action(async (path: string, flags: VerifyFlags) => {
      const trust = await trustFrom(flags);
      const showProgress = io.stderrIsTty && !flags.quiet;
      let report: Report;
      try {
        report = await verifyModel({
          modelPath: path,
          signaturePath: flags.signature,
          trust,
          ignoreUnsigned: flags.ignoreUnsigned ?? false,
          ignorePaths: flags.ignore ?? [],
          onProgress: showProgress ? (p) => io.stderr(`\r\u001b[2Khashing ${(p.bytesDone / 1e6).toFixed(0)}/${(p.bytesTotal / 1e6).toFixed(0)} MB`) : undefined,
        });
      } catch (err) {
        if (isBulwarkError(err, 'UNSUPPORTED') || isBulwarkError(err, 'LIMIT_EXCEEDED') || isBulwarkError(err, 'FILE_UNREADABLE')) {
          io.stderr(`bulwark: ${err.message}\n`);
          setExit(EXIT.INCOMPLETE);
          return;
        }
        throw err;
      }
      if (showProgress) io.stderr('\r\u001b[2K');
      const colour = flags.output === undefined && flags.format === 'text' && wantsColour(io, 'stdout');
      const text = renderReport(report, flags.format, colour, verdictLines(report));
      if (flags.output !== undefined) {
        await writeFileAtomic(flags.output, text);
        if (!flags.quiet) io.stderr(`${report.findings.length} finding(s); report written to ${flags.output}\n`);
      } else {
        io.stdout(text);
      }
      setExit(verifyExitCode(report, flags.allowIncomplete ?? false));
    });
}
