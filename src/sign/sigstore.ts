import { z } from 'zod';
import { BulwarkError } from '../errors.js';
import { IN_TOTO_PAYLOAD_TYPE } from './types.js';

/** Options of keyless (Sigstore: Fulcio + Rekor) signing. Needs the network. */
export interface KeylessSignOptions {
  /** An OIDC identity token; without one, sigstore-js uses the CI's ambient credentials. */
  identityToken?: string | undefined;
  fulcioURL?: string | undefined;
  rekorURL?: string | undefined;
  /** Per-request timeout, ms. */
  timeoutMs?: number | undefined;
}

/**
 * Signs a payload keylessly through sigstore-js (`attest`: a DSSE bundle with a Fulcio
 * certificate and a Rekor entry, OMS §4.1 `sigstore`). Loaded lazily: only this path needs it.
 */
export async function signKeyless(payload: Buffer, o: KeylessSignOptions): Promise<Record<string, unknown>> {
  const sigstore = await import('sigstore');
  const opts: Parameters<typeof sigstore.attest>[2] = {};
  if (o.identityToken !== undefined) opts.identityToken = o.identityToken;
  if (o.fulcioURL !== undefined) opts.fulcioURL = o.fulcioURL;
  if (o.rekorURL !== undefined) opts.rekorURL = o.rekorURL;
  if (o.timeoutMs !== undefined) opts.timeout = o.timeoutMs;
  try {
    return await sigstore.attest(payload, IN_TOTO_PAYLOAD_TYPE, opts);
  } catch (err) {
    throw new BulwarkError('UNSUPPORTED', `Sigstore keyless signing failed (it needs the network and an OIDC identity): ${(err as Error).message}`, { cause: err });
  }
}

/** Who must have signed a keyless bundle. */
export interface KeylessTrust {
  /** The certificate's subject alternative name: an e-mail or a URI (workflow identity). */
  identity: string;
  /** The OIDC issuer recorded in the certificate (Fulcio extension). */
  issuer: string;
  /**
   * A Sigstore trusted root (JSON, `application/vnd.dev.sigstore.trustedroot+json`) for offline
   * verification; without it the public-good root is fetched through TUF (network).
   */
  trustedRoot?: string | Uint8Array | undefined;
}

/** A keyless verification result: fine, or which rule it breaks and why. */
export type KeylessOutcome = { ok: true } | { ok: false; kind: 'untrusted' | 'bad-signature' | 'malformed'; error: string };

const TrustedRootShape = z.object({
  mediaType: z.string(),
  tlogs: z.array(z.unknown()),
  certificateAuthorities: z.array(z.unknown()).min(1),
});

/** Parses and checks a trusted root document; a malformed one is a configuration error. */
async function loadTrustedRoot(data: string | Uint8Array): Promise<unknown> {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(data).toString('utf8'));
  } catch (err) {
    throw new BulwarkError('CONFIG_INVALID', `trusted root: not JSON (${(err as Error).message})`, { cause: err });
  }
  const shape = TrustedRootShape.safeParse(json);
  if (!shape.success) {
    const i = shape.error.issues[0];
    throw new BulwarkError('CONFIG_INVALID', `trusted root: not a Sigstore trusted root (${i ? `${i.path.join('.') || '(root)'}: ${i.message}` : 'invalid'}); expected mediaType, tlogs and certificateAuthorities`);
  }
  const { TrustedRoot } = await import('@sigstore/protobuf-specs');
  try {
    return TrustedRoot.fromJSON(json);
  } catch (err) {
    throw new BulwarkError('CONFIG_INVALID', `trusted root: ${(err as Error).message}`, { cause: err });
  }
}

function classify(err: unknown): KeylessOutcome {
  const e = err as { name?: string; code?: string; message?: string };
  const message = e.message ?? String(err);
  if (e.code === 'SIGNATURE_ERROR') return { ok: false, kind: 'bad-signature', error: message };
  return { ok: false, kind: 'untrusted', error: message };
}

/**
 * Verifies a keyless Sigstore bundle (certificate chain to Fulcio, Rekor inclusion, SCT, signing
 * time) and that its certificate names `identity` and `issuer`, with @sigstore/verify. The DSSE
 * payload check is part of it. Offline when `trustedRoot` is given.
 */
export async function verifyKeyless(bundleJson: unknown, trust: KeylessTrust): Promise<KeylessOutcome> {
  const vm = (bundleJson as { verificationMaterial?: Record<string, unknown> }).verificationMaterial ?? {};
  if (vm.certificate === undefined && vm.x509CertificateChain === undefined) {
    return { ok: false, kind: 'untrusted', error: 'the bundle is signed with a key, not a Sigstore certificate: --identity/--issuer cannot apply (verify it with --key)' };
  }
  const isEmail = trust.identity.includes('@') && !trust.identity.includes('://');
  if (trust.trustedRoot === undefined) {
    const sigstore = await import('sigstore');
    try {
      await sigstore.verify(bundleJson as Parameters<typeof sigstore.verify>[0], {
        certificateIssuer: trust.issuer,
        ...(isEmail ? { certificateIdentityEmail: trust.identity } : { certificateIdentityURI: trust.identity }),
      });
      return { ok: true };
    } catch (err) {
      return classify(err);
    }
  }
  const root = await loadTrustedRoot(trust.trustedRoot);
  const [{ bundleFromJSON }, verify] = await Promise.all([import('@sigstore/bundle'), import('@sigstore/verify')]);
  let bundle;
  try {
    bundle = bundleFromJSON(bundleJson);
  } catch (err) {
    return { ok: false, kind: 'malformed', error: `not a valid Sigstore bundle: ${(err as Error).message}` };
  }
  let material;
  try {
    material = verify.toTrustMaterial(root as Parameters<typeof verify.toTrustMaterial>[0]);
  } catch (err) {
    throw new BulwarkError('CONFIG_INVALID', `trusted root: ${(err as Error).message}`, { cause: err });
  }
  try {
    const entity = verify.toSignedEntity(bundle);
    new verify.Verifier(material, { tlogThreshold: 1, ctlogThreshold: 1 }).verify(entity, {
      subjectAlternativeName: trust.identity,
      extensions: { issuer: trust.issuer },
    });
    return { ok: true };
  } catch (err) {
    return classify(err);
  }
}
