import { stat } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { parseReport, verifyAttestation, type AttestationTrust } from '../../attest/index.js';
import { BulwarkError, isBulwarkError } from '../../errors.js';
import { DEFAULT_READ_EVIDENCE_LIMITS, parseEvidenceJson, readEvidence, readEvidenceFile, renderSummaryMarkdown, verifyEvidenceAttestations } from '../../evidence/index.js';
import { writeFileAtomic } from '../../io/atomic-write.js';
import { buildEvidenceDocument, evaluatePolicy, loadPolicyFile, renderVerdictText, type AttestationEvidence, type Evidence } from '../../policy/index.js';
import type { Report } from '../../report/types.js';
import { EXIT, verdictExitCode, wantsColour, type CliIo } from '../io.js';
import { attestTrustFrom } from './attest.js';

/** Output formats of `bulwark policy eval`. */
const POLICY_FORMATS = ['text', 'json', 'markdown'] as const;
type PolicyFormat = (typeof POLICY_FORMATS)[number];

interface EvalFlags {
  policy: string;
  key?: string;
  certificateRoot?: string;
  signer?: string[];
  today?: string;
  format: PolicyFormat;
  output?: string;
  printDocument?: boolean;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Reads one input file: a report JSON, or an attestation bundle (verified with `trust`). */
async function readInputFile(path: string, trust: AttestationTrust | undefined): Promise<{ report?: Report; attestation?: AttestationEvidence }> {
  // The same bounded reader as an evidence directory's files: the size is checked before reading.
  const buf = await readEvidenceFile(path, DEFAULT_READ_EVIDENCE_LIMITS.maxFileBytes);
  const json = parseEvidenceJson(buf, path);
  if (typeof json === 'object' && json !== null && 'dsseEnvelope' in json) {
    if (!trust) throw new BulwarkError('USAGE', `${path} is an attestation bundle: give --key PUB.pem or --certificate-root ROOT.pem to verify it`);
    const v = verifyAttestation(buf, { trust });
    if (!v.ok) return { attestation: { kind: 'attestation', target: path, ok: false, error: v.error } };
    if (!v.report) return { attestation: { kind: 'attestation', target: path, ok: false, error: `predicate type ${v.statement.predicateType} is not a Bulwark report` } };
    return { report: v.report, attestation: { kind: v.report.kind, target: v.report.target, ok: true } };
  }
  const r = parseReport(json);
  if (!r.ok) throw new BulwarkError('PARSE_ERROR', `${path}: not a Bulwark report (${r.error})`);
  return { report: r.report };
}

/** Gathers evidence from directories (readEvidence) and files (reports or bundles). */
async function gatherEvidence(inputs: readonly string[], trust: AttestationTrust | undefined, signerFlags: readonly string[]): Promise<Evidence> {
  const reports: Report[] = [];
  const attestations: AttestationEvidence[] = [];
  const signers: Record<string, string> = {};
  for (const input of inputs) {
    let isDir: boolean;
    try {
      isDir = (await stat(input)).isDirectory();
    } catch (err) {
      throw new BulwarkError('FILE_UNREADABLE', `${input}: cannot read the evidence (${(err as Error).message})`, { cause: err });
    }
    if (isDir) {
      const loaded = await readEvidence(input);
      reports.push(...loaded.reports);
      Object.assign(signers, loaded.signers);
      if (trust) attestations.push(...verifyEvidenceAttestations(loaded, trust));
    } else {
      const got = await readInputFile(input, trust);
      if (got.report) reports.push(got.report);
      if (got.attestation) attestations.push(got.attestation);
    }
  }
  for (const s of signerFlags) {
    const eq = s.lastIndexOf('=');
    if (eq <= 0 || eq === s.length - 1) throw new BulwarkError('USAGE', `--signer ${s}: expected TARGET=NAME (the verify report's target and the signer name)`);
    signers[s.slice(0, eq)] = s.slice(eq + 1);
  }
  return { reports, signers, attestations };
}

function jsonSafe(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? Number(value) : value;
}

function evalCommand(io: CliIo, setExit: (code: number) => void): Command {
  return new Command('eval')
    .description('Evaluate a policy on evidence (evidence directories, report JSON files, attestation bundles). Exit 0 pass, 1 fail, 3 incomplete, 2 usage.')
    .argument('<evidence...>', 'evidence directory, report JSON or attestation bundle (repeatable)')
    .requiredOption('-p, --policy <file>', 'policy YAML (e.g. policies/starter.yaml)')
    .option('-k, --key <file>', 'public key to verify attestations with (bundles, and the attestations of evidence directories)')
    .option('--certificate-root <file>', 'root certificate(s) to verify attestations with')
    .option('--signer <target=name>', 'signer name of a verify report (its target), as the project file maps keys to names (repeatable)', collect)
    .option('--today <date>', 'evaluation date YYYY-MM-DD for allow-list expiry (default: today)')
    .addOption(new Option('-f, --format <format>', 'output format').choices(POLICY_FORMATS).default('text'))
    .option('-o, --output <file>', 'write the output to a file instead of standard output')
    .option('--print-document', 'print the evidence document CEL rules read (JSON) instead of evaluating')
    .action(async (inputs: string[], flags: EvalFlags) => {
      const today = flags.today ?? io.today;
      if (!/^\d{4}-\d{2}-\d{2}$/.test(today)) throw new BulwarkError('USAGE', `--today ${today}: expected YYYY-MM-DD`);
      const policy = await loadPolicyFile(flags.policy);
      const trust = flags.key !== undefined || flags.certificateRoot !== undefined ? await attestTrustFrom(flags) : undefined;
      let evidence: Evidence;
      try {
        evidence = await gatherEvidence(inputs, trust, flags.signer ?? []);
      } catch (err) {
        // Evidence that cannot be read is never a pass: incomplete (3), naming the file.
        if (isBulwarkError(err) && ['FILE_UNREADABLE', 'FILE_NOT_FOUND', 'PARSE_ERROR', 'LIMIT_EXCEEDED'].includes(err.code)) {
          io.stderr(`bulwark: ${err.message}\nbulwark: verdict INCOMPLETE: the evidence could not be read\n`);
          setExit(EXIT.INCOMPLETE);
          return;
        }
        throw err;
      }
      let text: string;
      if (flags.printDocument) {
        text = JSON.stringify(buildEvidenceDocument(evidence, policy.allow, today).doc, jsonSafe, 2) + '\n';
        setExit(EXIT.PASS);
      } else {
        const verdict = evaluatePolicy(policy, evidence, { today });
        switch (flags.format) {
          case 'text':
            text = renderVerdictText(verdict, { colour: flags.output === undefined && wantsColour(io, 'stdout') });
            break;
          case 'json':
            text = JSON.stringify(verdict, null, 2) + '\n';
            break;
          case 'markdown':
            text = renderSummaryMarkdown(verdict, evidence.reports, { generatedAt: today });
            break;
          default: {
            const never: never = flags.format;
            throw new BulwarkError('USAGE', `unknown format ${String(never)}`);
          }
        }
        setExit(verdictExitCode(verdict.verdict));
      }
      if (flags.output !== undefined) await writeFileAtomic(flags.output, text);
      else io.stdout(text);
    });
}

function checkCommand(io: CliIo, setExit: (code: number) => void): Command {
  return new Command('check')
    .description('Load a policy file and check every CEL rule against the evidence document (exit 2 with the file, line and rule on a mistake).')
    .argument('<policy>', 'policy YAML')
    .action(async (path: string) => {
      const p = await loadPolicyFile(path);
      io.stdout(`OK: ${path}: ${p.rules.length} rule(s), failOn ${p.failOn}, requires ${p.require.length > 0 ? p.require.join(', ') : 'nothing'}, ${p.allow.length} allow entr${p.allow.length === 1 ? 'y' : 'ies'}\n`);
      setExit(EXIT.PASS);
    });
}

/** Registers `bulwark policy eval` and `bulwark policy check`; `setExit` receives the exit code. */
export function policyCommand(io: CliIo, setExit: (code: number) => void): Command {
  return new Command('policy')
    .description('Policy gates: evaluate a policy (CEL rules, failOn, required evidence, allow-list) on evidence.')
    .addCommand(evalCommand(io, setExit))
    .addCommand(checkCommand(io, setExit));
}
