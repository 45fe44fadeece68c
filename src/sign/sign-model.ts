import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { BulwarkError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { statementPayload, type OmsBundleJson } from './bundle.js';
import { computeManifest, DEFAULT_MANIFEST_OPTIONS, type ManifestOptions } from './manifest.js';
import { prepareBundleSigner, type KeyMaterial } from './signer.js';
import { signKeyless, type KeylessSignOptions } from './sigstore.js';
import { DEFAULT_SIGN_LIMITS, DEFAULT_SIGNATURE_NAME, type ModelManifest } from './types.js';

/** How to sign (OMS §4.1 signing methods). Key material is PEM text or bytes, never a path. */
export type SignerSpec =
  | { kind: 'key'; privateKey: string | Uint8Array; password?: string | undefined }
  | ({ kind: 'certificate'; certificate: string | Uint8Array } & KeyMaterial)
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
    case 'key':
    case 'certificate': {
      const material: KeyMaterial = signer.kind === 'key' ? { privateKey: signer.privateKey, password: signer.password } : signer;
      const sign = prepareBundleSigner(material, { ...DEFAULT_SIGN_LIMITS, ...options.limits }.maxCertificates);
      prepared = { sign: (payload) => Promise.resolve(sign(payload)) };
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
