import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DRIFT_RULES } from '../../src/drift/index.js';
import { fixture, runBulwark, tempDir } from '../helpers.js';

describe('drift docs', () => {
  it('every DRIFT_RULES id has docs/rules/<ID>.md starting with "# <ID> <name>"', () => {
    for (const r of DRIFT_RULES) {
      const path = new URL(`../../docs/rules/${r.id}.md`, import.meta.url);
      expect(existsSync(path), r.id).toBe(true);
      expect(readFileSync(path, 'utf8').split('\n')[0]).toBe(`# ${r.id} ${r.name}`);
      expect(r.id).toMatch(/^BW-[A-Z]{3}-\d{3}$/);
    }
  });

  it('docs/drift.md documents every metric the report emits', async () => {
    const { driftReport } = await import('../../src/drift/index.js');
    const report = await driftReport({ reference: fixture('drift/ref.csv'), current: fixture('drift/cur-shifted.csv'), prediction: 'score' });
    const doc = readFileSync(new URL('../../docs/drift.md', import.meta.url), 'utf8');
    for (const m of Object.keys(report.metrics ?? {})) expect(doc, m).toContain(`\`${m}\``);
  });
});

describe('options after a subcommand word', () => {
  it('`drift profile -o` reaches the profile action; `drift -f json -o` writes the report', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const p = await runBulwark(['drift', 'profile', fixture('drift/ref.csv'), '-o', `${dir}/p.json`, '-q']);
      expect(p.code).toBe(0);
      expect(existsSync(`${dir}/p.json`)).toBe(true);
      const r = await runBulwark(['drift', fixture('drift/ref.csv'), fixture('drift/cur-same.csv'), '-f', 'json', '-o', `${dir}/r.json`, '-q']);
      expect(r.code).toBe(0);
      expect(JSON.parse(readFileSync(`${dir}/r.json`, 'utf8'))).toHaveProperty('drift');
    } finally {
      cleanup();
    }
  });
});

describe('through runCli (src/cli/run.ts)', () => {
  it('drift profile, drift against the profile, monitor over a log', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const p = await runBulwark(['drift', 'profile', fixture('drift/ref.csv'), '-o', `${dir}/p.json`]);
      expect(p.code, p.stderr).toBe(0);
      const r = await runBulwark(['drift', `${dir}/p.json`, fixture('drift/cur-shifted.csv'), '--prediction', 'score', '--fail-on-drift']);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stdout).toContain('BW-DRF-002');
      const { writeFileSync } = await import('node:fs');
      writeFileSync(`${dir}/log.jsonl`, Array.from({ length: 300 }, (_, i) => JSON.stringify({ income: 90 + (i % 7), city: 'atlantis' })).join('\n') + '\nbroken\n');
      const m = await runBulwark(['monitor', '--reference', `${dir}/p.json`, '--input', `${dir}/log.jsonl`, '--window', '100', '--m', '1', '--n', '1', '--columns', 'income,city', '--alerts-only']);
      expect(m.code, m.stderr).toBe(0);
      expect(m.stdout).toContain('"type":"alert"');
      expect(m.stderr).toContain('1 malformed line(s)');
      // The same log on standard input (`--input -`) gives the same alerts.
      const s = await runBulwark(
        ['monitor', '--reference', `${dir}/p.json`, '--input', '-', '--window', '100', '--m', '1', '--n', '1', '--columns', 'income,city', '--alerts-only'],
        {},
        readFileSync(`${dir}/log.jsonl`, 'utf8'),
      );
      expect(s.code, s.stderr).toBe(0);
      const untimed = (out: string): unknown[] => out.trim().split('\n').map((l) => ({ ...(JSON.parse(l) as object), time: undefined }));
      expect(untimed(s.stdout)).toEqual(untimed(m.stdout));
      expect(s.stderr).toContain('1 malformed line(s)');
    } finally {
      cleanup();
    }
  });
});
