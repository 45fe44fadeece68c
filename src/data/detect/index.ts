/**
 * Value detectors (PII, secrets, injection) run by the dataset engine: a portable SQL prefilter
 * in the table scan, then an exact JS check on the candidates. See docs/data-detectors.md.
 */
import { createIpDetector, createPhoneDetector, EMAIL_DETECTOR, IBAN_DETECTOR, PAYMENT_CARD_DETECTOR, US_SSN_DETECTOR } from './pii.js';
import { SECRET_DETECTORS } from './secrets.js';
import { createPromptInjectionDetector, FORMULA_INJECTION_DETECTOR, HTML_INJECTION_DETECTOR, INVISIBLE_CHARS_DETECTOR } from './injection.js';
import type { ValueDetector } from './types.js';

export type { DetectorCategory, DetectorVerdict, PortablePrefilter, ValueDetector } from './types.js';
export { MAX_VERIFY_CHARS } from './types.js';
export {
  cardScheme,
  createIpDetector,
  createPhoneDetector,
  DEFAULT_IP_INCLUDE_NON_PUBLIC,
  DEFAULT_PHONE_REGION,
  EMAIL_DETECTOR,
  IBAN_DETECTOR,
  IBAN_LENGTHS,
  ibanChecksumValid,
  luhnValid,
  PAYMENT_CARD_DETECTOR,
  US_SSN_DETECTOR,
  type IpDetectorOptions,
  type PhoneDetectorOptions,
} from './pii.js';
export { SECRET_DETECTORS, SECRET_RULE_ID } from './secrets.js';
export { createPromptInjectionDetector, FORMULA_INJECTION_DETECTOR, HTML_INJECTION_DETECTOR, INVISIBLE_CHARS_DETECTOR, packPrefilter, portableToJs } from './injection.js';
export { PROMPT_INJECTION_PACK, type PromptInjectionPack, type PromptInjectionPattern } from './prompt-pack.js';
export { INJECTION_RULES, PII_RULES } from './rules.js';

/** Every built-in detector with its default options, PII first, then injection. */
export const DEFAULT_DETECTORS: readonly ValueDetector[] = [
  EMAIL_DETECTOR,
  createPhoneDetector(),
  PAYMENT_CARD_DETECTOR,
  IBAN_DETECTOR,
  US_SSN_DETECTOR,
  createIpDetector(),
  ...SECRET_DETECTORS,
  FORMULA_INJECTION_DETECTOR,
  HTML_INJECTION_DETECTOR,
  createPromptInjectionDetector(),
  INVISIBLE_CHARS_DETECTOR,
];
