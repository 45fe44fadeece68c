import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { dataCommand } from '../../src/cli/commands/data.js';
import { EXIT } from '../../src/cli/io.js';
import { isBulwarkError } from '../../src/errors.js';
import { parseSuite } from '../../src/data/index.js';
import { fixture, tempDir } from '../helpers.js';

const data = (f: string): string => fixture(`data/${f}`);
const tmp = tempDir();
afterAll(() => tmp.cleanup());

/** Runs `bulwark data ...` in-process the way src/cli/run.ts does (usage-class errors -> 2). */
async function runData(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  let code: number = EXIT.PASS;
  const io = { stdout: (t: string) => (stdout += t), stderr: (t: string) => (stderr += t), stdoutIsTty: false, stderrIsTty: false, env: {}, today: '2026-11-21' };
  const program = new Command('bulwark').exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  program.addCommand(dataCommand(io, (c) => (code = c)).exitOverride());
  try {
    await program.parseAsync(['data', ...args], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) code = err.exitCode === 0 ? EXIT.PASS : EXIT.USAGE;
    else if (isBulwarkError(err) && ['USAGE', 'CONFIG_INVALID', 'FILE_NOT_FOUND', 'OUTPUT_UNWRITABLE'].includes(err.code)) {
      stderr += `bulwark: ${err.message}\n`;
      code = EXIT.USAGE;
    } else throw err;
  }
  return { code, stdout, stderr };
}

describe('bulwark data', () => {
  it('suggest -> validate passes on the trusted data (exit 0) and fails on a broken batch (exit 1)', async () => {
    const suite = join(tmp.dir, 'suite.yaml');
    const s = await runData(['suggest', data('clean.csv'), '--output', suite, '--label', 'label']);
    expect(s.code).toBe(0);
    expect(parseSuite(readFileSync(suite, 'utf8')).expectations.length).toBeGreaterThan(10);
    const ok = await runData(['validate', data('clean.csv'), '--suite', suite]);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    const bad = await runData(['validate', data('broken.csv'), '--suite', suite, '--format', 'json']);
    expect(bad.code).toBe(1);
    const report = JSON.parse(bad.stdout) as { kind: string; findings: { ruleId: string }[]; metrics: Record<string, number> };
    expect(report.kind).toBe('data');
    expect(report.metrics.expectations_failed).toBeGreaterThan(0);
    const sarif = await runData(['validate', data('broken.csv'), '--suite', suite, '--format', 'sarif', '--fail-on', 'none']);
    expect(sarif.code).toBe(0);
    expect(JSON.parse(sarif.stdout)).toMatchObject({ version: '2.1.0' });
    const text = await runData(['validate', data('clean.csv')]);
    expect(text.stdout).toMatch(/200 rows, 10 columns/);
  });

  it('profile writes JSON or one HTML page atomically', async () => {
    const json = await runData(['profile', data('clean.parquet')]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ kind: 'data-profile', rows: 200 });
    const out = join(tmp.dir, 'profile.html');
    const html = await runData(['profile', data('clean.csv'), '--format', 'html', '--output', out, '--quiet']);
    expect(html.code).toBe(0);
    expect(readFileSync(out, 'utf8')).toMatch(/^<!doctype html>/);
  });

  it('malformed data: exit 3 with a message naming the file and line, no output file, no stack', async () => {
    const out = join(tmp.dir, 'never.html');
    const r = await runData(['profile', data('ragged.csv'), '--format', 'html', '--output', out]);
    expect(r.code).toBe(EXIT.INCOMPLETE);
    expect(r.stderr).toMatch(/ragged\.csv.*Line: 3/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(tmp.dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const v = await runData(['validate', data('truncated.parquet'), '--format', 'json']);
    expect(v.code).toBe(EXIT.INCOMPLETE);
    expect(JSON.parse(v.stdout)).toMatchObject({ complete: false, errors: [{ code: 'PARSE_ERROR' }] });
  });

  it('a bad suite is a usage error naming the file and the field', async () => {
    const r = await runData(['validate', data('clean.csv'), '--suite', data('clean.csv')]);
    expect(r.code).toBe(EXIT.USAGE);
    expect(r.stderr).toMatch(/clean\.csv.*invalid expectation suite|not valid YAML/);
    const u = await runData(['validate', data('clean.csv'), '--label', 'nope']);
    expect(u.code).toBe(EXIT.USAGE);
    expect(u.stderr).toMatch(/no label column 'nope'/);
  });

  it('accepts extra subcommands (pseudonymize, fingerprint, diff from part 2)', () => {
    const io = { stdout: () => undefined, stderr: () => undefined, stdoutIsTty: false, stderrIsTty: false, env: {}, today: '2026-11-21' };
    const cmd = dataCommand(io, () => undefined, [new Command('fingerprint')]);
    expect(cmd.commands.map((c) => c.name())).toEqual(['profile', 'suggest', 'validate', 'fingerprint']);
  });
});
