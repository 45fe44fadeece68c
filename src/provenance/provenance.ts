import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, isAbsolute, resolve, sep } from 'node:path';
import { BulwarkError, isBulwarkError } from '../errors.js';
import { computeManifest, loadPublicKey, parseBundle, verifyDsse } from '../sign/index.js';
import { sha256File } from '../io/index.js';
import { VERSION } from '../version.js';
import { IN_TOTO_STATEMENT_V1, signStatement, type AttestationBundle, type AttestationSigner } from '../attest/index.js';
import { BULWARK_TRAINING_BUILD_TYPE, ProvenanceStatementSchema, SLSA_PROVENANCE_V1, type ProvenanceStatement, type ResourceDescriptor } from './schema.js';

/** The builder id written when none is given: this tool, describing a run it did not execute. */
export const DEFAULT_BUILDER_ID = 'https://github.com/bulwark-mlsecops/bulwark/provenance/local';

/** Options of {@link buildProvenance}. */
export interface ProvenanceOptions {
  /** The trained model (directory or file): the subject, named and digested as `bulwark verify` reports it. */
  modelPath: string;
  /** Dataset files used for training, hashed with SHA-256. */
  datasets?: readonly string[];
  /** The base model, `NAME@sha256:HEX` (or `NAME@HEX`). */
  baseModel?: string;
  /** The training code revision: `REPO_URI@COMMIT` or a bare commit. */
  codeRevision?: string;
  /** Training parameters (`--param k=v`), recorded as given. */
  parameters?: Readonly<Record<string, string>>;
  builderId?: string;
  invocationId?: string;
  startedOn?: Date;
  finishedOn?: Date;
  /** Clock for finishedOn when not given. */
  clock?: () => Date;
  signal?: AbortSignal;
}

/** Defaults of {@link ProvenanceOptions}. */
export const DEFAULT_PROVENANCE_OPTIONS = Object.freeze({ builderId: DEFAULT_BUILDER_ID, clock: (): Date => new Date() });

/** Parses `NAME@sha256:HEX` into a resource descriptor. */
export function parseBaseModel(spec: string): ResourceDescriptor {
  const m = /^(.+)@(?:sha256:)?([0-9a-fA-F]{64})$/.exec(spec.trim());
  if (!m) throw new BulwarkError('USAGE', `--base-model '${spec}': expected NAME@sha256:HEX (the base model's root digest, e.g. from \`bulwark verify\` or \`bulwark bom\`)`);
  return { name: m[1]!, digest: { sha256: m[2]!.toLowerCase() }, annotations: { role: 'base-model' } };
}

/** Parses `REPO@COMMIT` or a bare commit into a resource descriptor (SLSA: uri + gitCommit digest). */
export function parseCodeRevision(spec: string): ResourceDescriptor {
  const s = spec.trim();
  const at = s.lastIndexOf('@');
  const repo = at > 0 ? s.slice(0, at) : undefined;
  const rev = at > 0 ? s.slice(at + 1) : s;
  if (!rev) throw new BulwarkError('USAGE', `--code-revision '${spec}': expected REPO@COMMIT or COMMIT`);
  const isCommit = /^[0-9a-f]{40}([0-9a-f]{24})?$/.test(rev);
  return {
    name: 'training-code',
    ...(repo !== undefined ? { uri: repo.startsWith('git+') ? `${repo}@${rev}` : `git+${repo}@${rev}` } : {}),
    ...(isCommit ? { digest: { gitCommit: rev } } : repo === undefined ? { uri: rev } : {}),
    annotations: { role: 'code', revision: rev },
  };
}

function posix(p: string): string {
  return p.split(sep).join('/');
}

/**
 * Builds the in-toto Statement v1 with a SLSA Provenance v1 predicate for a training run. The
 * subject is the model's OMS root digest under its basename (what `bulwark verify` and a model
 * signature name); resolvedDependencies are the datasets (SHA-256), the base model and the code.
 */
export async function buildProvenance(options: ProvenanceOptions): Promise<ProvenanceStatement> {
  const clock = options.clock ?? DEFAULT_PROVENANCE_OPTIONS.clock;
  const manifest = await computeManifest({ modelPath: options.modelPath, signal: options.signal });
  const deps: ResourceDescriptor[] = [];
  for (const d of options.datasets ?? []) {
    let digest: string;
    try {
      digest = await sha256File(d, options.signal);
    } catch (err) {
      if (isBulwarkError(err, 'ABORTED')) throw err;
      throw new BulwarkError('FILE_NOT_FOUND', `--dataset ${d}: cannot read (${(err as Error).message})`, { cause: err });
    }
    // The name is the path as given (POSIX separators): absolute paths would leak the build machine's layout.
    const name = isAbsolute(d) ? basename(d) : posix(d);
    deps.push({ name, digest: { sha256: digest }, annotations: { role: 'training-data' } });
  }
  if (options.baseModel !== undefined) deps.push(parseBaseModel(options.baseModel));
  if (options.codeRevision !== undefined) deps.push(parseCodeRevision(options.codeRevision));
  const finishedOn = options.finishedOn ?? clock();
  const statement = {
    _type: IN_TOTO_STATEMENT_V1,
    subject: [{ name: manifest.subjectName, digest: { sha256: manifest.rootDigest } }],
    predicateType: SLSA_PROVENANCE_V1,
    predicate: {
      buildDefinition: {
        buildType: BULWARK_TRAINING_BUILD_TYPE,
        externalParameters: {
          parameters: { ...(options.parameters ?? {}) },
          ...(options.baseModel !== undefined ? { baseModel: options.baseModel } : {}),
          ...(options.codeRevision !== undefined ? { codeRevision: options.codeRevision } : {}),
        },
        internalParameters: { modelFiles: manifest.resources.length, modelBytes: manifest.bytes },
        resolvedDependencies: deps,
      },
      runDetails: {
        builder: { id: options.builderId ?? DEFAULT_PROVENANCE_OPTIONS.builderId, version: { bulwark: VERSION } },
        metadata: {
          invocationId: options.invocationId ?? randomUUID(),
          ...(options.startedOn ? { startedOn: options.startedOn.toISOString() } : {}),
          finishedOn: finishedOn.toISOString(),
        },
      },
    },
  };
  return parseProvenanceStatement(statement, 'provenance statement');
}

/** Validates a statement with zod; BulwarkError PARSE_ERROR names the field. */
export function parseProvenanceStatement(value: unknown, what: string): ProvenanceStatement {
  const parsed = ProvenanceStatementSchema.safeParse(value);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new BulwarkError('PARSE_ERROR', `${what}: field '${i?.path.join('.') ?? ''}' ${i?.message ?? 'is invalid'} (expected an in-toto Statement v1 with a SLSA Provenance v1 predicate)`);
  }
  return parsed.data;
}

/**
 * Signs a statement as a DSSE envelope in a Sigstore bundle through src/attest's signStatement
 * (the key machinery of model signing: EC keys, DSSE PAE, key hint or X.509 chain), so provenance
 * and report attestations are signed alike. ({@link verifyProvenance} differs from verifyAttestation:
 * it checks the signature with the given key whatever the bundle's verification material names.)
 */
export function signProvenance(statement: ProvenanceStatement, signer: AttestationSigner): Promise<AttestationBundle> {
  return signStatement(statement, signer);
}

/** Options of {@link verifyProvenance}. */
export interface VerifyProvenanceOptions {
  /** The bundle JSON text. */
  bundle: string;
  /** Trusted EC public key, PEM or DER. */
  publicKey: string | Uint8Array;
  /** When given, the model is hashed and must be the statement's subject. */
  modelPath?: string;
  signal?: AbortSignal;
}

/** The outcome of {@link verifyProvenance}: `ok` only when every check passed. */
export type ProvenanceVerification = { ok: true; statement: ProvenanceStatement } | { ok: false; reason: string; statement?: ProvenanceStatement };

/**
 * Verifies a provenance bundle: the DSSE signature over the payload with the trusted key, the
 * payload type, the statement's structure (zod), and optionally that the model on disk is its subject.
 */
export async function verifyProvenance(options: VerifyProvenanceOptions): Promise<ProvenanceVerification> {
  const bundle = parseBundle(options.bundle);
  if (!bundle.ok) return { ok: false, reason: `not a Sigstore bundle: ${bundle.error}` };
  // parseBundle also checks the payload type (application/vnd.in-toto+json).
  const env = bundle.value.dsseEnvelope;
  const key = loadPublicKey(options.publicKey, 'public key');
  const payload = Buffer.from(env.payload, 'base64');
  const signed = env.signatures.some((s) => verifyDsse(key, env.payloadType, payload, Buffer.from(s.sig, 'base64')));
  if (!signed) return { ok: false, reason: 'the signature does not verify with the given key (tampered payload or another key)' };
  let statement: ProvenanceStatement;
  try {
    statement = parseProvenanceStatement(JSON.parse(payload.toString('utf8')) as unknown, 'signed payload');
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
  if (options.modelPath !== undefined) {
    const m = await computeManifest({ modelPath: resolve(options.modelPath), signal: options.signal });
    const match = statement.subject.some((s) => s.digest.sha256 === m.rootDigest);
    if (!match) return { ok: false, reason: `the model at ${options.modelPath} (sha256:${m.rootDigest}) is not the statement's subject`, statement };
  }
  return { ok: true, statement };
}

/** Reads a text file for the provenance CLI, mapping errors to FILE_NOT_FOUND. */
export async function readProvenanceInput(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new BulwarkError('FILE_NOT_FOUND', `${path}: cannot read the ${what} (${(err as Error).message})`, { cause: err });
  }
}
