/**
 * Secret and API-token detectors. They share one family rule (BW-PII-007, "secret in data"); the
 * detector id (`secret/github-token`, ...) is the finding's evidence. Formats are the vendors'
 * published token formats (GitHub "Behind GitHub's new authentication token formats", 2021;
 * AWS IAM unique-id prefixes; Slack, Stripe, Google, OpenAI, Anthropic key prefixes; RFC 7468 PEM
 * labels; RFC 7519 JWT).
 */
import { regexSpans, spanDetector, starMiddle } from './spans.js';
import type { ValueDetector } from './types.js';

/** The family rule every secret detector reports under. */
export const SECRET_RULE_ID = 'BW-PII-007';

interface SecretSpec {
  id: string;
  prefilter: string;
  /** Global JS regex with its own boundaries; linear time. */
  re: RegExp;
  accept?: (m: RegExpExecArray) => boolean;
  /** Characters to keep visible at the start of a masked token. */
  keep: number;
}

function secretDetector(spec: SecretSpec): ValueDetector {
  return spanDetector({
    id: spec.id,
    ruleId: SECRET_RULE_ID,
    category: 'pii',
    prefilter: { pattern: spec.prefilter, caseInsensitive: false },
    find: (value) => regexSpans(value, spec.re, (m) => (spec.accept === undefined || spec.accept(m) ? spec.id : null)),
    maskSpan: (text) => starMiddle(text, spec.keep, 0),
  });
}

function base64UrlJsonObject(part: string): boolean {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
  } catch {
    return false;
  }
}

/** Every secret detector. */
export const SECRET_DETECTORS: readonly ValueDetector[] = [
  secretDetector({
    id: 'secret/aws-access-key-id',
    prefilter: '(AKIA|ASIA)[A-Z0-9]{16}',
    re: /(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z2-7]{16}(?![A-Za-z0-9])/g,
    keep: 4,
  }),
  secretDetector({
    id: 'secret/github-token',
    prefilter: '(ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}',
    re: /(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})(?![A-Za-z0-9_])/g,
    keep: 4,
  }),
  secretDetector({
    id: 'secret/slack-token',
    prefilter: 'xox[abposr]-[0-9]+-[0-9A-Za-z-]{8}',
    re: /(?<![A-Za-z0-9])xox[abposr]-[0-9]+-[0-9A-Za-z-]{8,250}(?![A-Za-z0-9-])/g,
    keep: 5,
  }),
  secretDetector({
    id: 'secret/stripe-secret-key',
    prefilter: '(sk|rk)_live_[0-9A-Za-z]{20}',
    re: /(?<![A-Za-z0-9_])(?:sk|rk)_live_[0-9A-Za-z]{20,250}(?![A-Za-z0-9])/g,
    keep: 8,
  }),
  secretDetector({
    id: 'secret/google-api-key',
    prefilter: 'AIza[0-9A-Za-z_-]{35}',
    re: /(?<![A-Za-z0-9_-])AIza[0-9A-Za-z_-]{35}(?![A-Za-z0-9_-])/g,
    keep: 4,
  }),
  secretDetector({
    id: 'secret/anthropic-api-key',
    prefilter: 'sk-ant-[a-z]+[0-9]{2}-[A-Za-z0-9_-]{32}',
    re: /(?<![A-Za-z0-9_-])sk-ant-[a-z]{3,8}[0-9]{2}-[A-Za-z0-9_-]{32,250}(?![A-Za-z0-9_-])/g,
    keep: 7,
  }),
  secretDetector({
    id: 'secret/openai-api-key',
    prefilter: 'sk-[A-Za-z0-9_-]{32}',
    // Legacy `sk-` + 48 alphanumerics, or project/service-account/admin keys `sk-proj-...`.
    re: /(?<![A-Za-z0-9_-])sk-(?:(?:proj|svcacct|admin)-)?[A-Za-z0-9_-]{32,250}(?![A-Za-z0-9_-])/g,
    accept: (m) => !m[0].startsWith('sk-ant-') && /[0-9]/.test(m[0].slice(3)) && /[A-Za-z]/.test(m[0].slice(3)),
    keep: 3,
  }),
  secretDetector({
    id: 'secret/private-key',
    prefilter: '-----BEGIN [A-Z0-9 ]*PRIVATE KEY',
    re: /-----BEGIN (?:[A-Z0-9]{1,20} ){0,3}PRIVATE KEY(?: BLOCK)?-----/g,
    keep: 11,
  }),
  secretDetector({
    id: 'secret/jwt',
    prefilter: 'eyJ[A-Za-z0-9_-]+[.][A-Za-z0-9_-]+[.]',
    re: /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{4,8000}\.[A-Za-z0-9_-]{2,64000}\.[A-Za-z0-9_-]{0,8000}(?![A-Za-z0-9_-])/g,
    accept: (m) => {
      const [header = '', payload = ''] = m[0].split('.');
      if (!base64UrlJsonObject(header)) return false;
      const h = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as Record<string, unknown>;
      return typeof h.alg === 'string' && base64UrlJsonObject(payload);
    },
    keep: 3,
  }),
];
