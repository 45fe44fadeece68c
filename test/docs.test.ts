import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../src/errors.js';
import { ALL_RULES } from '../src/rule-catalog.js';
import { renderCallablesDoc } from '../src/rules/pickle/callables-doc.js';
import { VERSION } from '../src/version.js';

const docs = new URL('../docs/', import.meta.url);

describe('documentation', () => {
  it('has docs/rules/<ID>.md for every rule, naming it, and no page for a rule that does not exist', () => {
    const pages = readdirSync(new URL('rules/', docs)).filter((f) => f.endsWith('.md'));
    const metas = ALL_RULES;
    for (const meta of metas) {
      const page = readFileSync(new URL(`rules/${meta.id}.md`, docs), 'utf8');
      expect(page).toContain(`# ${meta.id} ${meta.name}`);
      expect(meta.helpUri.endsWith(`docs/rules/${meta.id}.md`)).toBe(true);
    }
    expect(pages.sort()).toEqual(metas.map((m) => `${m.id}.md`).sort());
  });

  it('has rule ids that are unique and well-formed', () => {
    const ids = ALL_RULES.map((m) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^BW-[A-Z]{3}-\d{3}$/);
  });

  it('lists every rule in the README', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    for (const meta of ALL_RULES) expect(readme).toContain(`| [${meta.id}](docs/rules/${meta.id}.md) | ${meta.name} |`);
  });

  it('documents every error code', () => {
    const page = readFileSync(new URL('errors.md', docs), 'utf8');
    for (const code of ERROR_CODES) expect(page).toContain(`| \`${code}\` |`);
  });

  it('has docs/callables.md generated from the lists (run `npm run docs` after changing them)', () => {
    expect(readFileSync(new URL('callables.md', docs), 'utf8')).toBe(renderCallablesDoc());
  });

  it('keeps VERSION equal to package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(VERSION).toBe(pkg.version);
  });
});
