import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DATA_RULES } from '../../src/data/index.js';

const docs = new URL('../../docs/', import.meta.url);

describe('data docs', () => {
  it('has docs/rules/<ID>.md for every DATA rule, first line `# <ID> <name>`, with tests named', () => {
    for (const rule of DATA_RULES) {
      const page = readFileSync(new URL(`rules/${rule.id}.md`, docs), 'utf8');
      expect(page.split('\n')[0]).toBe(`# ${rule.id} ${rule.name}`);
      expect(page).toMatch(/## Tests and fixtures/);
      expect(rule.helpUri.endsWith(`docs/rules/${rule.id}.md`)).toBe(true);
    }
  });

  it('documents every report metric in docs/data.md', () => {
    const page = readFileSync(new URL('data.md', docs), 'utf8');
    for (const m of ['rows', 'columns', 'expectations_evaluated', 'expectations_failed', 'pii_values', 'pii_rate', 'injection_values', 'injection_rate', 'oversized_values', 'candidate_values_verified', 'poison_suspicions', 'queries']) {
      expect(page).toContain(`\`${m}\``);
    }
  });
});
