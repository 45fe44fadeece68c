import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const read = (p: string): unknown => parse(readFileSync(`${ROOT}${p}`, 'utf8')) as unknown;

interface Action {
  name: string;
  description: string;
  inputs: Record<string, { description: string; default?: string }>;
  runs: { using: string; steps: { uses?: string; run?: string; shell?: string; with?: Record<string, string>; env?: Record<string, string>; if?: string }[] };
}

describe('action.yml (composite GitHub Action)', () => {
  const action = read('action.yml') as Action;
  const text = readFileSync(`${ROOT}action.yml`, 'utf8');

  it('has the required top-level keys and is composite', () => {
    expect(action.name).toBeTruthy();
    expect(action.description).toBeTruthy();
    expect(action.runs.using).toBe('composite');
    for (const s of action.runs.steps) if (s.run !== undefined) expect(s.shell).toBe('bash');
  });

  it('uses every input it declares, and declares every input it uses', () => {
    const used = new Set([...text.matchAll(/inputs\.([\w-]+)/g)].map((m) => m[1]));
    expect([...used].sort()).toEqual(Object.keys(action.inputs).sort());
    for (const [name, input] of Object.entries(action.inputs)) expect(input.description, name).toBeTruthy();
  });

  it('runs the check, appends the summary, uploads SARIF (category bulwark) and the evidence', () => {
    expect(text).toContain('check --config "$BULWARK_CONFIG" --evidence "$BULWARK_EVIDENCE"');
    expect(text).toContain('$GITHUB_STEP_SUMMARY');
    const sarif = action.runs.steps.find((s) => s.uses?.startsWith('github/codeql-action/upload-sarif@'));
    expect(sarif?.with?.category).toBe('bulwark');
    expect(action.runs.steps.some((s) => s.uses?.startsWith('actions/upload-artifact@'))).toBe(true);
  });

  it('never interpolates inputs into shell scripts (script injection): they go through env', () => {
    for (const s of action.runs.steps) if (s.run !== undefined) expect(s.run).not.toMatch(/\$\{\{/);
  });
});

describe('GitLab CI template', () => {
  it('defines a job that runs the check and keeps the evidence as artifacts', () => {
    const doc = read('ci/gitlab/bulwark.gitlab-ci.yml') as Record<string, { script?: string[]; artifacts?: { when: string; paths: string[] } }>;
    const job = doc['bulwark-check'];
    expect(job?.script?.join('\n')).toContain('check --config');
    expect(job?.artifacts?.when).toBe('always');
    expect(job?.artifacts?.paths).toContain('${BULWARK_EVIDENCE}/');
  });
});

describe('.pre-commit-hooks.yaml', () => {
  it('defines bulwark-scan (by file pattern) and bulwark-check (whole project)', () => {
    const hooks = read('.pre-commit-hooks.yaml') as { id: string; entry: string; language: string; files?: string; pass_filenames?: boolean }[];
    const byId = Object.fromEntries(hooks.map((h) => [h.id, h]));
    expect(byId['bulwark-scan']?.entry).toMatch(/^bulwark scan/);
    expect(new RegExp(byId['bulwark-scan']?.files ?? '^$').test('models/model.joblib')).toBe(true);
    expect(new RegExp(byId['bulwark-scan']?.files ?? '^$').test('README.md')).toBe(false);
    expect(byId['bulwark-check']?.entry).toMatch(/^bulwark check/);
    expect(byId['bulwark-check']?.pass_filenames).toBe(false);
  });
});
