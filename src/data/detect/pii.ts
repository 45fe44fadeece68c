/**
 * PII value detectors: e-mail, phone, payment card, IBAN, US SSN, IP address. Each has a portable
 * prefilter (a superset of its hits, run in SQL) and an exact, linear-time JS check.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { findNumbers, type CountryCode } from 'libphonenumber-js/max';
import { regexSpans, spanDetector, starDigits, type Span } from './spans.js';
import type { ValueDetector } from './types.js';

// ---------------------------------------------------------------- e-mail

const EMAIL_LOCAL = /[A-Za-z0-9._%+-]/;
const EMAIL_DOMAIN = /[A-Za-z0-9.-]/;

/**
 * Finds addresses by scanning outwards from each `@` (linear: each side is bounded by the RFC 5321
 * limits, 64 characters of local part and 253 of domain), then checks the domain: at least two
 * labels of 1-63 letters/digits/hyphens not starting or ending with a hyphen, an alphabetic TLD of 2+.
 */
function findEmails(value: string): Span[] {
  const out: Span[] = [];
  let from = 0;
  for (let at = value.indexOf('@', from); at !== -1; at = value.indexOf('@', from)) {
    from = at + 1;
    let s = at;
    while (s > 0 && at - s < 64 && EMAIL_LOCAL.test(value[s - 1] ?? '')) s--;
    let e = at + 1;
    while (e < value.length && e - at <= 253 && EMAIL_DOMAIN.test(value[e] ?? '')) e++;
    let local = value.slice(s, at);
    while (local.startsWith('.')) {
      local = local.slice(1);
      s++;
    }
    let domain = value.slice(at + 1, e);
    while (domain.endsWith('.') || domain.endsWith('-')) domain = domain.slice(0, -1);
    if (local.length === 0 || local.endsWith('.') || local.includes('..')) continue;
    const labels = domain.split('.');
    const tld = labels[labels.length - 1] ?? '';
    if (labels.length < 2 || !/^[A-Za-z]{2,63}$/.test(tld)) continue;
    if (!labels.every((l) => /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(l))) continue;
    const end = at + 1 + domain.length;
    out.push({ start: s, end, detail: 'email' });
    from = end;
  }
  return out;
}

/** `pii/email` (BW-PII-001). */
export const EMAIL_DETECTOR: ValueDetector = spanDetector({
  id: 'pii/email',
  ruleId: 'BW-PII-001',
  category: 'pii',
  prefilter: { pattern: '[A-Za-z0-9._%+-]@[A-Za-z0-9-]+[.][A-Za-z]', caseInsensitive: false },
  find: findEmails,
  maskSpan(text) {
    const at = text.indexOf('@');
    const local = text.slice(0, at);
    const domain = text.slice(at + 1);
    const dot = domain.lastIndexOf('.');
    return `${local.slice(0, 1)}***@${domain.slice(0, 1)}***${domain.slice(dot)}`;
  },
});

// ---------------------------------------------------------------- phone

/** Options of {@link createPhoneDetector}. */
export interface PhoneDetectorOptions {
  /**
   * Region whose national format (no `+`) also counts, e.g. 'US' or 'GB'. Default: none, so
   * only numbers written in international form (`+44 20 7946 0958`) are reported: a bare 10-digit
   * run is far more often an order number or id than a phone number, and guessing a region
   * would make every such id in an unrelated country "valid".
   */
  defaultRegion?: CountryCode;
}

/** Default of {@link PhoneDetectorOptions.defaultRegion}: international numbers only. */
export const DEFAULT_PHONE_REGION: CountryCode | undefined = undefined;

/** Candidate windows: an optional plus or parenthesis, then digits and separators (at most 40 characters). */
const PHONE_WINDOW = /[+＋]?[^0-9０-９+＋]{0,2}[0-9０-９](?:[0-9０-９ ()\-./\t]{0,36}[0-9０-９])?/g;

/** A phone detector: libphonenumber-js (full metadata) must call the number valid, not merely possible. */
export function createPhoneDetector(options: PhoneDetectorOptions = {}): ValueDetector {
  const region = options.defaultRegion ?? DEFAULT_PHONE_REGION;
  return spanDetector({
    id: 'pii/phone',
    ruleId: 'BW-PII-002',
    category: 'pii',
    // International: a plus (ASCII or fullwidth), at most 3 punctuation characters, a digit.
    // National: six digits with at most 4 separators between consecutive digits.
    prefilter: region === undefined
      ? { pattern: '[+＋][^0-9０-９]{0,3}[0-9０-９]', caseInsensitive: false }
      : { pattern: '[0-9０-９]([^0-9０-９]{0,4}[0-9０-９]){5}', caseInsensitive: false },
    find(value) {
      // libphonenumber scans whole texts slowly (seconds on a megabyte of digits), so it only sees
      // short windows around digit runs that could be numbers: linear overall.
      const out: Span[] = [];
      let lastEnd = 0;
      PHONE_WINDOW.lastIndex = 0;
      for (let m = PHONE_WINDOW.exec(value); m !== null; m = PHONE_WINDOW.exec(value)) {
        const base = m.index;
        const text = m[0];
        if (region === undefined && !/[+＋]/.test(text)) continue;
        const found = region === undefined ? findNumbers(text, { v2: true }) : findNumbers(text, { defaultCountry: region, v2: true });
        for (const f of found) {
          if (!f.number.isValid() || base + f.startsAt < lastEnd) continue;
          const raw = text.slice(f.startsAt, f.endsAt);
          if (region === undefined && !/^[+＋]/.test(raw)) continue;
          if (f.number.nationalNumber.length < 6) continue;
          out.push({ start: base + f.startsAt, end: base + f.endsAt, detail: f.number.country ?? `+${f.number.countryCallingCode}` });
          lastEnd = base + f.endsAt;
        }
      }
      return out;
    },
    maskSpan(text) {
      return starDigits(text, 2, text.trimStart().startsWith('+') ? 2 : 0);
    },
  });
}

// ---------------------------------------------------------------- payment cards

/** Luhn (ISO/IEC 7812-1 annex B) over a digit string. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/** IIN ranges and lengths of the major schemes (as published by the networks; prefixes compared numerically). */
const CARD_SCHEMES: readonly { scheme: string; ranges: readonly [string, string][]; lengths: readonly number[] }[] = [
  { scheme: 'amex', ranges: [['34', '34'], ['37', '37']], lengths: [15] },
  { scheme: 'visa', ranges: [['4', '4']], lengths: [13, 16, 19] },
  { scheme: 'mastercard', ranges: [['51', '55'], ['2221', '2720']], lengths: [16] },
  { scheme: 'discover', ranges: [['6011', '6011'], ['644', '649'], ['65', '65'], ['622126', '622925']], lengths: [16, 17, 18, 19] },
  { scheme: 'jcb', ranges: [['3528', '3589']], lengths: [16, 17, 18, 19] },
  { scheme: 'diners', ranges: [['300', '305'], ['36', '36'], ['38', '39']], lengths: [14, 15, 16, 17, 18, 19] },
  { scheme: 'unionpay', ranges: [['62', '62']], lengths: [16, 17, 18, 19] },
  { scheme: 'mir', ranges: [['2200', '2204']], lengths: [16, 17, 18, 19] },
  { scheme: 'maestro', ranges: [['5018', '5018'], ['5020', '5020'], ['5038', '5038'], ['5893', '5893'], ['6304', '6304'], ['6759', '6759'], ['6761', '6763']], lengths: [12, 13, 14, 15, 16, 17, 18, 19] },
];

/** The scheme of a card number by IIN range and length, or null. */
export function cardScheme(digits: string): string | null {
  for (const s of CARD_SCHEMES) {
    if (!s.lengths.includes(digits.length)) continue;
    for (const [lo, hi] of s.ranges) {
      const p = Number(digits.slice(0, lo.length));
      if (p >= Number(lo) && p <= Number(hi)) return s.scheme;
    }
  }
  return null;
}

const CARD_RE = /(?<![0-9])[0-9](?:[ -]?[0-9]){11,18}(?![0-9])/g;

/** `pii/payment-card` (BW-PII-003): IIN range + length + Luhn; separators, when used, are consistent groups of 3-6. */
export const PAYMENT_CARD_DETECTOR: ValueDetector = spanDetector({
  id: 'pii/payment-card',
  ruleId: 'BW-PII-003',
  category: 'pii',
  prefilter: { pattern: '[0-9]([ -]?[0-9]){11,18}', caseInsensitive: false },
  find: (value) =>
    regexSpans(value, CARD_RE, (m) => {
      const text = m[0];
      const seps = new Set(text.replace(/[0-9]/g, ''));
      if (seps.size > 1) return null;
      if (seps.size === 1 && !text.split(/[ -]/).every((g) => g.length >= 3 && g.length <= 6)) return null;
      const digits = text.replace(/[^0-9]/g, '');
      if (!luhnValid(digits)) return null;
      return cardScheme(digits);
    }),
  maskSpan: (text) => starDigits(text, 4),
});

// ---------------------------------------------------------------- IBAN

/** IBAN length per country (SWIFT IBAN registry). */
export const IBAN_LENGTHS: Readonly<Record<string, number>> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BI: 27, BR: 29, BY: 28, CH: 21, CR: 22,
  CY: 28, CZ: 24, DE: 22, DJ: 27, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18, FK: 18, FO: 18, FR: 27, GB: 22,
  GE: 22, GI: 23, GL: 18, GR: 27, GT: 28, HR: 21, HU: 28, IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30,
  KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20, LU: 20, LV: 21, LY: 25, MC: 27, MD: 24, ME: 22, MK: 19, MN: 20, MR: 27,
  MT: 31, MU: 30, NI: 28, NL: 18, NO: 15, OM: 23, PK: 24, PL: 28, PS: 29, QA: 29, RO: 24, RS: 22, RU: 33, SA: 24,
  SC: 31, SD: 18, SE: 24, SI: 19, SK: 24, SM: 27, SO: 23, ST: 25, SV: 28, TL: 23, TN: 24, TR: 26, UA: 29, VA: 22,
  VG: 24, XK: 20, YE: 30,
};

/** ISO 13616 / ISO 7064 MOD 97-10 check of a compact upper-case IBAN. */
export function ibanChecksumValid(iban: string): boolean {
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let rem = 0;
  for (const c of rearranged) {
    const code = c.charCodeAt(0);
    const v = code >= 65 && code <= 90 ? String(code - 55) : c;
    for (const d of v) rem = (rem * 10 + (d.charCodeAt(0) - 48)) % 97;
  }
  return rem === 1;
}

const IBAN_START = /(?<![A-Za-z0-9])[A-Z]{2}[0-9]{2}(?=[ ]?[A-Z0-9])/g;

function findIbans(value: string): Span[] {
  const out: Span[] = [];
  IBAN_START.lastIndex = 0;
  for (let m = IBAN_START.exec(value); m !== null; m = IBAN_START.exec(value)) {
    const cc = m[0].slice(0, 2);
    const len = IBAN_LENGTHS[cc];
    if (len === undefined) continue;
    // Walk exactly `len` alphanumerics, allowing single spaces between them (print format).
    let i = m.index;
    let compact = '';
    while (i < value.length && compact.length < len) {
      const c = value[i] ?? '';
      if (/[A-Z0-9]/.test(c)) compact += c;
      else if (!(c === ' ' && compact.length > 0 && /[A-Z0-9]/.test(value[i + 1] ?? ''))) break;
      i++;
    }
    if (compact.length !== len || /[A-Za-z0-9]/.test(value[i] ?? '')) continue;
    if (!ibanChecksumValid(compact)) continue;
    out.push({ start: m.index, end: i, detail: cc });
    IBAN_START.lastIndex = i;
  }
  return out;
}

/** `pii/iban` (BW-PII-004): upper-case IBAN, electronic or print format; country length + mod-97. */
export const IBAN_DETECTOR: ValueDetector = spanDetector({
  id: 'pii/iban',
  ruleId: 'BW-PII-004',
  category: 'pii',
  prefilter: { pattern: '[A-Z]{2}[0-9]{2}( ?[A-Z0-9]){11,30}', caseInsensitive: false },
  find: findIbans,
  maskSpan: (text) => text.slice(0, 4) + text.slice(4, -4).replace(/[A-Z0-9]/g, '*') + text.slice(-4),
});

// ---------------------------------------------------------------- US SSN

const SSN_RE = /(?<![0-9-])([0-9]{3})([- ])([0-9]{2})\2([0-9]{4})(?![0-9]|-[0-9])/g;
/** Numbers published as examples (the Woolworth wallet card, and the common placeholder). */
const SSN_KNOWN_FAKE = new Set(['078051120', '123456789']);

/**
 * `pii/us-ssn` (BW-PII-005): `AAA-GG-SSSS` (dash or space separated; a bare 9-digit run is not
 * reported, it is mostly ids). SSA rules: area not 000, 666 or 900-999; group not 00; serial not 0000.
 */
export const US_SSN_DETECTOR: ValueDetector = spanDetector({
  id: 'pii/us-ssn',
  ruleId: 'BW-PII-005',
  category: 'pii',
  prefilter: { pattern: '[0-9]{3}[- ][0-9]{2}[- ][0-9]{4}', caseInsensitive: false },
  find: (value) =>
    regexSpans(value, SSN_RE, (m) => {
      const [, area = '', , group = '', serial = ''] = m;
      if (area === '000' || area === '666' || area.startsWith('9') || group === '00' || serial === '0000') return null;
      if (SSN_KNOWN_FAKE.has(area + group + serial)) return null;
      return 'us-ssn';
    }),
  maskSpan: (text) => starDigits(text, 4),
});

// ---------------------------------------------------------------- IP addresses

/** Options of {@link createIpDetector}. */
export interface IpDetectorOptions {
  /**
   * Also report non-public addresses (RFC 1918/6598 private, loopback, link-local, unique-local,
   * documentation, unspecified, multicast). Default false: they do not identify a person on the
   * Internet, and they swamp logs-derived corpora.
   */
  includeNonPublic?: boolean;
}

/** Default of {@link IpDetectorOptions.includeNonPublic}. */
export const DEFAULT_IP_INCLUDE_NON_PUBLIC = false;

function ipv4Public(ip: string): boolean {
  const [a = 0, b = 0, c = 0] = ip.split('.').map(Number);
  if (a === 0 || a === 10 || a === 127 || a >= 224) return false;
  if (a === 100 && b >= 64 && b <= 127) return false; // RFC 6598 shared address space
  if (a === 169 && b === 254) return false;
  if (a === 172 && b >= 16 && b <= 31) return false;
  if (a === 192 && b === 168) return false;
  if (a === 192 && b === 0 && (c === 0 || c === 2)) return false;
  if (a === 198 && (b === 18 || b === 19)) return false;
  if ((a === 198 && b === 51 && c === 100) || (a === 203 && b === 0 && c === 113)) return false;
  return true;
}

function ipv6Public(ip: string): boolean {
  const lower = ip.toLowerCase();
  if (lower === '::' || lower === '::1') return false;
  const first = Number.parseInt(lower.startsWith('::') ? '0' : (lower.split(':')[0] ?? '0'), 16);
  if ((first & 0xfe00) === 0xfc00) return false; // fc00::/7 unique local
  if ((first & 0xffc0) === 0xfe80) return false; // fe80::/10 link local
  if ((first & 0xff00) === 0xff00) return false; // multicast
  if (lower.startsWith('2001:db8:') || lower === '2001:db8::') return false; // documentation
  if (lower.startsWith('::ffff:')) return ipv4Public(lower.slice(7));
  return first !== 0;
}

const IPV4_RE = /(?<![0-9.])(?:[0-9]{1,3}\.){3}[0-9]{1,3}(?![0-9]|\.[0-9])/g;
const IPV6_RE = /(?<![0-9A-Za-z:.])[0-9A-Fa-f:.]{2,45}(?![0-9A-Za-z:])/g;

/** `pii/ip-address` (BW-PII-006): valid IPv4 (no leading zeros) and IPv6 (node:net), public only by default. */
export function createIpDetector(options: IpDetectorOptions = {}): ValueDetector {
  const all = options.includeNonPublic ?? DEFAULT_IP_INCLUDE_NON_PUBLIC;
  return spanDetector({
    id: 'pii/ip-address',
    ruleId: 'BW-PII-006',
    category: 'pii',
    prefilter: { pattern: '[0-9]{1,3}[.][0-9]{1,3}[.][0-9]{1,3}[.][0-9]{1,3}|[0-9A-Fa-f]{0,4}:[0-9A-Fa-f]{0,4}:', caseInsensitive: false },
    find(value) {
      const v4 = regexSpans(value, IPV4_RE, (m) => {
        const ip = m[0];
        if (ip.split('.').some((o) => o.length > 1 && o.startsWith('0'))) return null;
        return isIPv4(ip) && (all || ipv4Public(ip)) ? 'ipv4' : null;
      });
      const v6 = value.includes(':')
        ? regexSpans(value, IPV6_RE, (m) => {
            const ip = m[0].replace(/\.$/, '');
            if ((ip.match(/:/g) ?? []).length < 2) return null;
            return isIPv6(ip) && (all || ipv6Public(ip)) ? 'ipv6' : null;
          })
        : [];
      return [...v4, ...v6].sort((x, y) => x.start - y.start);
    },
    // IPv4: keep the first two octets (the network), IPv6: keep the first group.
    maskSpan: (text) =>
      text.includes(':')
        ? text.replace(/^([0-9A-Fa-f]*)(.*)$/, (_m, head: string, rest: string) => head + rest.replace(/[0-9A-Fa-f.]/g, '*'))
        : text.replace(/^([0-9]+\.[0-9]+)\.[0-9]+\.[0-9]+$/, '$1.*.*'),
  });
}

