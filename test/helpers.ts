import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../src/cli/run.js';

/** What one in-process CLI run printed and returned. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process with captured output (no TTY, no colours); `stdin` feeds `-` inputs. */
export async function runBulwark(args: string[], env: Record<string, string> = {}, stdin?: string): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    stdoutIsTty: false,
    stderrIsTty: false,
    env,
    today: '2026-11-21',
    ...(stdin !== undefined ? { stdin: [stdin] } : {}),
  });
  return { code, stdout, stderr };
}

/** A fresh temporary directory, removed by the returned cleanup. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-test-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Path of a committed fixture. */
export function fixture(rel: string): string {
  return new URL(`fixtures/${rel}`, import.meta.url).pathname;
}

/** One fixture with what a correct scan must say about it. */
export interface ManifestEntry {
  /** Relative to test/fixtures/ (a file or a directory). */
  path: string;
  technique?: string;
  /** `clean`: no finding at medium or above; otherwise these rules fire and these names appear. */
  expect: 'clean' | { rules: string[]; mentions?: string[] };
}

/**
 * Every fixture manifest: test/fixtures/manifest.json (pickle family) and one per format folder
 * (test/fixtures/<folder>/manifest.json), whose paths are relative to test/fixtures/.
 */
export function loadManifests(): ManifestEntry[] {
  const folders = readdirSync(fixture(''), { withFileTypes: true }).filter((d) => d.isDirectory());
  const files = ['manifest.json', ...folders.filter((d) => readdirSync(fixture(d.name)).includes('manifest.json')).map((d) => `${d.name}/manifest.json`)];
  return files.flatMap((f) => JSON.parse(readFileSync(fixture(f), 'utf8')) as ManifestEntry[]);
}
