import { open, stat } from 'node:fs/promises';
import { posix } from 'node:path';
import { BulwarkError } from '../errors.js';
import { finaliseFindings } from '../report/fingerprint.js';
import { compareFindings } from '../report/order.js';
import type { FindingDraft, Report, ReportError } from '../report/types.js';
import { VERSION } from '../version.js';
import { parseBundle, parseStatement, type OmsStatement } from './bundle.js';
import { parsePemCertificates } from './certificates.js';
import { DEFAULT_HASH_POOL_OPTIONS, hashRanges, type HashTask } from './hash-pool.js';
import { loadPublicKey } from './keys.js';
import { effectiveIgnorePaths, parseShardName, rootDigestOf } from './manifest.js';
import {
  RULE_BAD_SIGNATURE,
  RULE_CHANGED_FILE,
  RULE_DISALLOWED_ENTRY,
  RULE_INVALID_BUNDLE,
  RULE_MISSING_FILE,
  RULE_UNSIGNED_FILE,
  RULE_UNTRUSTED_SIGNER,
  SIGN_RULES,
} from './rules.js';
import { defaultSignaturePath } from './sign-model.js';
import { checkBundleSigner, type SignerTrust } from './signer.js';
import { verifyKeyless, type KeylessTrust } from './sigstore.js';
import { DEFAULT_SIGN_LIMITS, type HashProgress, type SignLimits } from './types.js';
import { listModel, type ModelFile } from './walk.js';

/** Whom to trust (OMS §8.2): a public key, certificate roots, or a Sigstore identity. */
export type TrustSpec =
  | { kind: 'key'; publicKey: string | Uint8Array }
  | { kind: 'certificate'; roots: string | Uint8Array }
  | ({ kind: 'sigstore' } & KeylessTrust);

/** Options of {@link verifyModel}. */
export interface VerifyOptions {
  /** The model directory or single file. */
  modelPath: string;
  /** The bundle (default: `model.sig` in the directory, `<file>.sig` beside a single file). */
  signaturePath?: string | undefined;
  trust: TrustSpec;
  /** Accept files the signature does not cover (OMS §8.5 `--ignore-unsigned-files`). */
  ignoreUnsigned?: boolean;
  /** Extra paths to exclude, on top of the signature's `ignore_paths` and the defaults. */
  ignorePaths?: readonly string[];
  concurrency?: number;
  chunkSize?: number;
  limits?: Partial<SignLimits>;
  signal?: AbortSignal | undefined;
  onProgress?: ((p: HashProgress) => void) | undefined;
}

/** Defaults of {@link verifyModel}. */
export const DEFAULT_VERIFY_OPTIONS = Object.freeze({
  ignoreUnsigned: false,
  ignorePaths: [] as readonly string[],
  concurrency: DEFAULT_HASH_POOL_OPTIONS.concurrency,
  chunkSize: DEFAULT_HASH_POOL_OPTIONS.chunkSize,
});

/** Loaded trust material: checked before the model is read, so a bad key is a usage error. */
type LoadedTrust = SignerTrust | ({ kind: 'sigstore' } & KeylessTrust);

function loadTrust(t: TrustSpec, limits: SignLimits): LoadedTrust {
  switch (t.kind) {
    case 'key':
      return { kind: 'key', key: loadPublicKey(t.publicKey, 'public key') };
    case 'certificate':
      return { kind: 'certificate', roots: parsePemCertificates(t.roots, 'certificate root', limits.maxCertificates) };
    case 'sigstore':
      if (t.identity.trim() === '' || t.issuer.trim() === '') throw new BulwarkError('USAGE', 'keyless verification needs both an identity and an issuer');
      return t;
    default: {
      const never: never = t;
      throw new BulwarkError('USAGE', `unknown trust kind ${String((never as { kind: unknown }).kind)}`);
    }
  }
}

/** Reads at most `max` bytes of the bundle file; undefined when it does not exist. */
async function readBounded(path: string, max: number): Promise<{ text: string } | { tooLarge: number } | undefined> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new BulwarkError('FILE_UNREADABLE', `${path}: cannot read the signature (${(err as Error).message})`, { cause: err });
  }
  try {
    const size = (await fh.stat()).size;
    if (size > max) return { tooLarge: size };
    const buf = Buffer.alloc(size);
    const { bytesRead } = await fh.read(buf, 0, size, 0);
    return { text: buf.subarray(0, bytesRead).toString('utf8') };
  } finally {
    await fh.close();
  }
}

function decodeB64(s: string): Buffer {
  return Buffer.from(s, 'base64');
}

/** How signer failures read in a verify report: they name the CLI's other trust flags. */
const MODEL_WORDING = { noun: 'bundle', useRoots: '--certificate-root (or --identity/--issuer for Sigstore)', useKey: '--key' } as const;

interface Expected {
  /** Files method: the digest. */
  digest?: string;
  /** Shards method: the ranges. */
  shards?: { start: number; end: number; digest: string }[];
}

/**
 * Verifies a model against an OMS signature (OMS §8): the bundle, the signature and signer, then
 * every file and shard. Returns a Report of kind `verify`: a finding per mismatch (changed,
 * missing, unsigned file; bad signature; untrusted signer; invalid bundle; disallowed symlink),
 * an error per unreadable file (the report is then incomplete). Throws only for usage errors
 * (unreadable key or roots, missing model) and aborts.
 */
export async function verifyModel(options: VerifyOptions): Promise<Report> {
  const limits: SignLimits = { ...DEFAULT_SIGN_LIMITS, ...options.limits };
  const target = options.modelPath;
  const trust = loadTrust(options.trust, limits);
  const signaturePath = options.signaturePath ?? (await defaultSignaturePath(target));
  const drafts: FindingDraft[] = [];
  const errors: ReportError[] = [];
  const metrics: Record<string, number> = { files_verified: 0, resources: 0, bytes_hashed: 0 };
  const report = (subjects: Report['subjects']): Report => {
    const findings = finaliseFindings(drafts, (id) => SIGN_RULES.find((r) => r.id === id)?.severity ?? 'high').sort(compareFindings);
    return {
      schemaVersion: 1,
      kind: 'verify',
      tool: { name: 'bulwark', version: VERSION },
      target,
      subjects,
      rules: [...SIGN_RULES],
      findings,
      metrics,
      errors,
      skipped: [],
      complete: errors.length === 0,
    };
  };
  const bundleFinding = (ruleId: string, message: string, key: string): void => {
    drafts.push({ ruleId, message, location: { uri: signaturePath }, key });
  };

  const modelStat = await stat(target).catch((err: unknown) => {
    throw new BulwarkError('FILE_NOT_FOUND', `${target}: cannot read the model (${(err as Error).message})`, { cause: err });
  });
  const read = await readBounded(signaturePath, limits.maxBundleBytes);
  if (read === undefined) {
    bundleFinding(RULE_INVALID_BUNDLE.id, `No signature at ${signaturePath}: the model is not signed (or give --signature).`, 'missing');
    return report([]);
  }
  if ('tooLarge' in read) {
    bundleFinding(RULE_INVALID_BUNDLE.id, `The signature file is ${read.tooLarge} bytes, over the ${limits.maxBundleBytes}-byte limit (limit maxBundleBytes).`, 'too-large');
    return report([]);
  }
  const parsed = parseBundle(read.text);
  if (!parsed.ok) {
    bundleFinding(RULE_INVALID_BUNDLE.id, `The signature file is not a valid OMS bundle: ${parsed.error}.`, 'malformed');
    return report([]);
  }
  const bundle = parsed.value;

  // OMS §8.2: the signature first; a manifest that is not authentic is not compared.
  let check: { ok: true } | { ok: false; failure: 'untrusted' | 'bad-signature' | 'malformed'; error: string };
  switch (trust.kind) {
    case 'key':
    case 'certificate':
      check = checkBundleSigner(bundle, trust, limits.maxCertificates, MODEL_WORDING);
      break;
    case 'sigstore': {
      const r = await verifyKeyless(JSON.parse(read.text) as unknown, trust);
      check = r.ok ? { ok: true } : { ok: false, failure: r.kind, error: `Sigstore verification failed: ${r.error}` };
      break;
    }
    default: {
      const never: never = trust;
      return never;
    }
  }
  if (!check.ok) {
    const rule = check.failure === 'bad-signature' ? RULE_BAD_SIGNATURE : check.failure === 'untrusted' ? RULE_UNTRUSTED_SIGNER : RULE_INVALID_BUNDLE;
    // The finding key ('bad' for a bad signature) is part of the fingerprint: kept as it was.
    const key = check.failure === 'bad-signature' ? 'bad' : check.failure;
    bundleFinding(rule.id, `${check.error.charAt(0).toUpperCase()}${check.error.slice(1)}. The model files were not compared.`, key);
    return report([]);
  }
  const st = parseStatement(decodeB64(bundle.dsseEnvelope.payload), limits.maxResources);
  if (!st.ok) {
    bundleFinding(RULE_INVALID_BUNDLE.id, `The signature verifies but its statement is not usable: ${st.error}.`, 'statement');
    return report([]);
  }
  const statement = st.value;
  const subjects: Report['subjects'] = statement.rootDigest ? [{ name: statement.subjectName, digest: { sha256: statement.rootDigest } }] : [];
  // OMS §6.5.1: the subject digest is over the resource digests in the order listed.
  const recomputed = rootDigestOf(statement.resources.map((r) => r.digest));
  if (statement.rootDigest !== recomputed) {
    bundleFinding(RULE_INVALID_BUNDLE.id, `The signed subject digest ${statement.rootDigest ?? '(none)'} is not the SHA-256 of the listed resource digests (${recomputed}): the bundle is inconsistent.`, 'root-digest');
  }
  await compareModel(options, statement, signaturePath, modelStat.isFile(), limits, drafts, errors, metrics);
  return report(subjects);
}

async function compareModel(
  options: VerifyOptions,
  statement: OmsStatement,
  signaturePath: string,
  singleFile: boolean,
  limits: SignLimits,
  drafts: FindingDraft[],
  errors: ReportError[],
  metrics: Record<string, number>,
): Promise<void> {
  const target = options.modelPath;
  const uriOf = (name: string): string => (singleFile ? target : posix.join(target.replaceAll('\\', '/'), name));
  const fileFinding = (ruleId: string, name: string, message: string, evidence?: Record<string, string | number | boolean>): void => {
    const d: FindingDraft = { ruleId, message, location: { uri: uriOf(name) }, key: name };
    if (evidence) d.evidence = evidence;
    drafts.push(d);
  };
  const ignorePaths = effectiveIgnorePaths(target, [...statement.ignorePaths, ...(options.ignorePaths ?? DEFAULT_VERIFY_OPTIONS.ignorePaths)], signaturePath);
  const listing = await listModel(target, { ignorePaths, allowSymlinks: statement.allowSymlinks, limits, signal: options.signal });
  for (const s of listing.symlinks) fileFinding(RULE_DISALLOWED_ENTRY.id, s, `${s} is a symbolic link, and the signature was made with allow_symlinks false: a link can redirect the model to unsigned content.`);
  for (const s of listing.special) fileFinding(RULE_DISALLOWED_ENTRY.id, s, `${s} is not a regular file (socket, FIFO or device) and cannot be part of a signed model.`);

  // Signed names by file. A single-file model is named "." (Python) or by its file name (Go).
  const localSingle = singleFile ? listing.files[0]?.name : undefined;
  const fileOf = (name: string): string => (localSingle !== undefined && name === '.' ? localSingle : name);
  const expected = new Map<string, Expected>();
  const shardSize = statement.shardSize ?? 0;
  for (const r of statement.resources) {
    if (statement.method === 'files') {
      const f = fileOf(r.name);
      if (expected.has(f)) {
        drafts.push({ ruleId: RULE_INVALID_BUNDLE.id, message: `The signature lists ${r.name} twice.`, location: { uri: signaturePath }, key: `dup:${r.name}` });
        continue;
      }
      expected.set(f, { digest: r.digest });
    } else {
      const s = parseShardName(r.name);
      if (!s) {
        drafts.push({ ruleId: RULE_INVALID_BUNDLE.id, message: `Shard resource ${JSON.stringify(r.name)} is not named path:start:end (OMS §6.3.2).`, location: { uri: signaturePath }, key: `shard:${r.name}` });
        continue;
      }
      const f = fileOf(s.file);
      const e = expected.get(f) ?? { shards: [] };
      e.shards!.push({ start: s.start, end: s.end, digest: r.digest });
      expected.set(f, e);
    }
  }
  metrics.resources = statement.resources.length;

  const local = new Map<string, ModelFile>(listing.files.map((f) => [f.name, f]));
  const planned: { name: string; task: HashTask; digest: string; range?: string }[] = [];
  for (const f of listing.files) {
    const e = expected.get(f.name);
    if (!e) {
      // OMS §6.3.2: empty files have no shard, so an empty file is covered by a shards manifest.
      if (statement.method === 'shards' && f.size === 0) continue;
      if (!(options.ignoreUnsigned ?? DEFAULT_VERIFY_OPTIONS.ignoreUnsigned)) {
        fileFinding(RULE_UNSIGNED_FILE.id, f.name, `${f.name} (${f.size} bytes) is in the model but not in the signature: content was added after signing, or the signer excluded it.`, { size: f.size });
      }
      continue;
    }
    if (e.digest !== undefined) {
      planned.push({ name: f.name, task: { path: f.path, start: 0, end: f.size, checkEof: true }, digest: e.digest });
      continue;
    }
    const shards = (e.shards ?? []).sort((a, b) => a.start - b.start);
    const signedSize = shards.at(-1)?.end ?? 0;
    if (signedSize !== f.size) {
      fileFinding(RULE_CHANGED_FILE.id, f.name, `${f.name} is ${f.size} bytes but was signed at ${signedSize} bytes: its content changed.`, { size: f.size, signedSize });
      continue;
    }
    // The shards must tile the file exactly in shard_size steps (OMS §6.3.2); otherwise bytes go unchecked.
    const tiles = shards.every((s, i) => s.start === i * shardSize && (s.end - s.start === shardSize || (i === shards.length - 1 && s.end - s.start <= shardSize)));
    if (!tiles) {
      drafts.push({ ruleId: RULE_INVALID_BUNDLE.id, message: `The shards signed for ${f.name} do not cover it in ${shardSize}-byte steps from offset 0 (OMS §6.3.2); it cannot be verified.`, location: { uri: signaturePath }, key: `tiling:${f.name}` });
      continue;
    }
    shards.forEach((s, i) => planned.push({ name: f.name, task: { path: f.path, start: s.start, end: s.end, checkEof: i === shards.length - 1 }, digest: s.digest, range: `${s.start}:${s.end}` }));
  }
  for (const [name, e] of expected) {
    if (local.has(name)) continue;
    const count = e.shards ? ` (${e.shards.length} shard(s))` : '';
    fileFinding(RULE_MISSING_FILE.id, name, `${name}${count} is signed but missing from the model: a signed file was removed or renamed.`);
  }

  const outcomes = await hashRanges(
    planned.map((p) => p.task),
    {
      algorithm: statement.hashType,
      concurrency: options.concurrency ?? DEFAULT_VERIFY_OPTIONS.concurrency,
      chunkSize: options.chunkSize ?? DEFAULT_VERIFY_OPTIONS.chunkSize,
      signal: options.signal,
      onProgress: options.onProgress,
    },
  );
  const changed = new Map<string, { ranges: string[]; signed: string; now: string }>();
  const unreadable = new Set<string>();
  outcomes.forEach((o, i) => {
    const p = planned[i]!;
    metrics.bytes_hashed! += p.task.end - p.task.start;
    if (!o.ok) {
      if (o.code === 'CHANGED') {
        if (!changed.has(p.name)) changed.set(p.name, { ranges: [], signed: p.digest, now: `(${o.message})` });
      } else if (!unreadable.has(p.name)) {
        unreadable.add(p.name);
        errors.push({ uri: uriOf(p.name), code: 'FILE_UNREADABLE', message: `cannot read ${p.name}: ${o.message}` });
      }
      return;
    }
    if (o.digest !== p.digest) {
      const c = changed.get(p.name) ?? { ranges: [], signed: p.digest, now: o.digest };
      if (p.range !== undefined) c.ranges.push(p.range);
      changed.set(p.name, c);
    }
  });
  for (const [name, c] of changed) {
    const where = c.ranges.length ? ` in ${c.ranges.length} shard(s), first bytes ${c.ranges[0]!}` : '';
    fileFinding(
      RULE_CHANGED_FILE.id,
      name,
      `${name} differs from its signed ${statement.hashType} digest${where} (signed ${c.signed}, now ${c.now}): the file was modified after signing.`,
      { algorithm: statement.hashType, signed: c.signed, actual: c.now },
    );
  }
  metrics.files_verified = listing.files.filter((f) => expected.has(f.name) && !changed.has(f.name) && !unreadable.has(f.name)).length;
}
