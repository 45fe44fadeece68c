import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SIGN_RULES } from '../../src/sign/index.js';

describe('verify rule docs', () => {
  it('has docs/rules/<ID>.md for every BW-SIG rule, starting with "# <ID> <name>", and a row in docs/signing.md', () => {
    const signing = readFileSync(new URL('../../docs/signing.md', import.meta.url), 'utf8');
    for (const rule of SIGN_RULES) {
      expect(rule.id).toMatch(/^BW-SIG-\d{3}$/);
      const page = readFileSync(new URL(`../../docs/rules/${rule.id}.md`, import.meta.url), 'utf8');
      expect(page.split('\n')[0]).toBe(`# ${rule.id} ${rule.name}`);
      expect(page).toContain(`**Severity:** ${rule.severity}`);
      expect(rule.helpUri.endsWith(`docs/rules/${rule.id}.md`)).toBe(true);
      expect(signing).toContain(`[${rule.id}](rules/${rule.id}.md) | ${rule.severity} |`);
    }
    expect(new Set(SIGN_RULES.map((r) => r.id)).size).toBe(SIGN_RULES.length);
  });
});
