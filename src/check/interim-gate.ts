import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic-write.js';
import { renderJson } from '../report/render-json.js';
import { renderSarif } from '../report/render-sarif.js';
import type { EvidenceSink } from './run-check.js';

/** Merges per-report SARIF logs into one log with one run per report kind. */
function mergedSarif(texts: readonly string[]): string {
  const logs = texts.map((t) => JSON.parse(t) as { $schema?: string; version: string; runs: unknown[] });
  const first = logs[0];
  return `${JSON.stringify({ ...(first?.$schema !== undefined ? { $schema: first.$schema } : {}), version: '2.1.0', runs: logs.flatMap((l) => l.runs) }, null, 2)}\n`;
}

/** Writes reports/<kind>.json, bulwark.sarif, verdict.json and summary.md, each file atomically. */
export const interimEvidenceSink: EvidenceSink = {
  write: async (dir, { reports, verdict }) => {
    await mkdir(join(dir, 'reports'), { recursive: true });
    for (const r of reports) await writeFileAtomic(join(dir, 'reports', `${r.kind}.json`), renderJson(r));
    await writeFileAtomic(join(dir, 'bulwark.sarif'), mergedSarif(reports.map((r) => renderSarif(r))));
    await writeFileAtomic(join(dir, 'verdict.json'), `${JSON.stringify(verdict, null, 2)}\n`);
    const lines = [`# Bulwark check: ${verdict.verdict.toUpperCase()}`, '', ...verdict.reasons.map((r) => `- **${r.rule}**${r.kind !== undefined ? ` (${r.kind})` : ''}: ${r.message}`), ''];
    await writeFileAtomic(join(dir, 'summary.md'), lines.join('\n'));
  },
};
