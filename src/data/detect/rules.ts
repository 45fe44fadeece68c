import { defineRuleMeta } from '../../rules/meta.js';
import type { RuleMeta } from '../../report/types.js';

/** PII and secret rules (one per value detector; secrets share the BW-PII-007 family rule). */
export const PII_RULES: readonly RuleMeta[] = [
  defineRuleMeta('BW-PII-001', 'pii/email', 'E-mail address in a dataset column', 'medium', ['cwe-359', 'owasp-ml03', 'gdpr-art4']),
  defineRuleMeta('BW-PII-002', 'pii/phone', 'Phone number in a dataset column', 'medium', ['cwe-359', 'owasp-ml03', 'gdpr-art4']),
  defineRuleMeta('BW-PII-003', 'pii/payment-card', 'Payment card number (PAN) in a dataset column', 'high', ['cwe-359', 'pci-dss-3.4', 'owasp-ml03']),
  defineRuleMeta('BW-PII-004', 'pii/iban', 'Bank account number (IBAN) in a dataset column', 'high', ['cwe-359', 'owasp-ml03', 'gdpr-art4']),
  defineRuleMeta('BW-PII-005', 'pii/us-ssn', 'US Social Security number in a dataset column', 'high', ['cwe-359', 'owasp-ml03']),
  defineRuleMeta('BW-PII-006', 'pii/ip-address', 'Public IP address in a dataset column', 'low', ['cwe-359', 'gdpr-art4']),
  defineRuleMeta('BW-PII-007', 'pii/secret', 'Secret or API token in a dataset column', 'critical', ['cwe-798', 'cwe-312', 'owasp-ml03']),
];

/** Injection rules (content that attacks whoever consumes the data: spreadsheets, browsers, LLMs). */
export const INJECTION_RULES: readonly RuleMeta[] = [
  defineRuleMeta('BW-INJ-001', 'injection/formula', 'Spreadsheet formula (CSV) injection', 'high', ['cwe-1236']),
  defineRuleMeta('BW-INJ-002', 'injection/html', 'HTML or script injection', 'medium', ['cwe-79']),
  defineRuleMeta('BW-INJ-003', 'injection/prompt', 'Prompt-injection text in a training corpus', 'high', ['owasp-llm01', 'owasp-llm04', 'atlas:AML.T0051', 'atlas:AML.T0020']),
  defineRuleMeta('BW-INJ-004', 'injection/invisible-chars', 'Invisible or bidirectional control characters', 'medium', ['cwe-1007', 'cve-2021-42574', 'owasp-llm01']),
];
