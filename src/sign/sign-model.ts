import { X509Certificate } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { BulwarkError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { buildBundle, statementPayload, type OmsBundleJson } from './bundle.js';
import { parsePemCertificates } from './certificates.js';
import { signDsse } from './dsse.js';
import { keyHint, loadPrivateKey, samePublicKey } from './keys.js';
import { computeManifest, DEFAULT_MANIFEST_OPTIONS, type ManifestOptions } from './manifest.js';
import { signKeyless, type KeylessSignOptions } from './sigstore.js';
import { DEFAULT_SIGN_LIMITS, DEFAULT_SIGNATURE_NAME, type ModelManifest } from './types.js';

/** How to sign (OMS §4.1 signing methods). Key material is PEM text or bytes, never a path. */
export type SignerSpec =
  | { kind: 'key'; privateKey: string | Uint8Array; password?: string | undefined }
  | {
      kind: 'certificate';
      privateKey: string | Uint8Array;
      password?: string | undefined;
      /** The signing (leaf) certificate, PEM; its key must be the private key's. */
      certificate: string | Uint8Array;
      /** Intermediate (and optionally root) certificates, PEM, leaf's issuer first. */
      chain?: string | Uint8Array | undefined;
    }
  | ({ kind: 'sigstore' } & KeylessSignOptions);

/** Options of {@link signModel}: the manifest options plus the signer and output. */
export interface SignOptions extends ManifestOptions {
  signer: SignerSpec;
  /** Where to write the bundle (default: `model.sig` inside a model directory, `<file>.sig` beside a single file). */
  signaturePath?: string | undefined;
  /** Write the bundle file (default true); false only returns it. */
  write?: boolean;
}

/** Defaults of {@link signModel} (those of the manifest, and writing the file). */
export const DEFAULT_SIGN_OPTIONS = Object.freeze({ ...DEFAULT_MANIFEST_OPTIONS, write: true });

/** What signing produced. */
export interface SignResult {
  signaturePath: string;
  manifest: ModelManifest;
  /** The Sigstore bundle as written (JSON object). */
  bundle: OmsBundleJson | Record<string, unknown>;
}

/** The default signature path of a model: `model.sig` in a directory, `<file>.sig` for a file. */
export async function defaultSignaturePath(modelPath: string): Promise<string> {
  let isFile: boolean;
  try {
    isFile = (await stat(modelPath)).isFile();
  } catch (err) {
    throw new BulwarkError('FILE_NOT_FOUND', `${modelPath}: cannot read the model (${(err as Error).message})`, { cause: err });
  }
  return isFile ? `${modelPath}.sig` : join(modelPath, DEFAULT_SIGNATURE_NAME);
}

/**
 * Signs a model in the OMS v1.0 format (OMS §6): hashes it, builds the in-toto statement, signs
 * it as DSSE and writes a Sigstore bundle that the Python and Go implementations verify.
 * Layout: integer `shard_size`, `keyid: ""`, `sha256-sharded-N`, code-point order, `.` for a
 * single file (all overridable through the manifest options).
 */
export async function signModel(options: SignOptions): Promise<SignResult> {
  const signaturePath = options.signaturePath ?? (await defaultSignaturePath(options.modelPath));
  const signer = options.signer;
  // Load the key before hashing: a wrong password should not cost a pass over a 100 GB model.
  let prepared: { sign: (payload: Buffer) => Promise<OmsBundleJson | Record<string, unknown>> };
  switch (signer.kind) {
    case 'key': {
      const key = loadPrivateKey(signer.privateKey, signer.password, 'private key');
      prepared = {
        sign: (payload) => Promise.resolve(buildBundle(payload, signDsse(key, 'application/vnd.in-toto+json', payload), { publicKey: { hint: keyHint(key) }, tlogEntries: [] })),
      };
      break;
    }
    case 'certificate': {
      const key = loadPrivateKey(signer.privateKey, signer.password, 'private key');
      const max = { ...DEFAULT_SIGN_LIMITS, ...options.limits }.maxCertificates;
      const [leaf] = parsePemCertificates(signer.certificate, 'signing certificate', 1);
      const chain: X509Certificate[] = signer.chain === undefined ? [] : parsePemCertificates(signer.chain, 'certificate chain', max);
      if (!leaf || !samePublicKey(leaf.publicKey, key)) {
        throw new BulwarkError('CONFIG_INVALID', 'signing certificate: its public key is not the private key\'s');
      }
      const certificates = [leaf, ...chain].map((c) => ({ rawBytes: c.raw.toString('base64') }));
      prepared = {
        sign: (payload) => Promise.resolve(buildBundle(payload, signDsse(key, 'application/vnd.in-toto+json', payload), { x509CertificateChain: { certificates }, tlogEntries: [] })),
      };
      break;
    }
    case 'sigstore':
      prepared = { sign: (payload) => signKeyless(payload, signer) };
      break;
    default: {
      const never: never = signer;
      throw new BulwarkError('USAGE', `unknown signer ${String((never as { kind: unknown }).kind)}`);
    }
  }
  const manifest = await computeManifest({ ...options, signaturePath: resolve(signaturePath) });
  const bundle = await prepared.sign(statementPayload(manifest));
  if (options.write ?? DEFAULT_SIGN_OPTIONS.write) await writeFileAtomic(signaturePath, JSON.stringify(bundle));
  return { signaturePath, manifest, bundle };
}
