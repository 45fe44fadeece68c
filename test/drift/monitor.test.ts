import { createHmac } from 'node:crypto';
import { appendFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildReferenceProfile,
  createMonitor,
  createMonitorMetrics,
  createWebhookSink,
  followLines,
  serveMetrics,
  serialiseProfile,
  type DriftAlert,
  type DriftProfile,
  type WindowEvaluation,
} from '../../src/drift/index.js';
import { addMoment, createKll, createSpaceSaving, emptyMoments, kllAdd, kllMerge, kllQuantile, mergeMoments, spaceSavingAdd, spaceSavingTop } from '../../src/drift/monitor/sketches.js';
import { seededRandom as mulberry32 } from '../../src/stats/random.js';
import { fixture, runBulwark, tempDir } from '../helpers.js';

/** JSON lines from one of the CSV fixtures (all values as the log would carry them). */
function csvToEvents(csv: string): string[] {
  const [header, ...rows] = csv.trim().split('\n');
  const cols = header!.split(',');
  return rows.map((r) => {
    const cells = r.split(',');
    return JSON.stringify({ income: Number(cells[cols.indexOf('income')]), age: Number(cells[cols.indexOf('age')]), city: cells[cols.indexOf('city')], score: Number(cells[cols.indexOf('score')]) });
  });
}

let profile: DriftProfile;
let dir: string;
let cleanup: () => void;
beforeAll(async () => {
  ({ dir, cleanup } = tempDir());
  profile = await buildReferenceProfile({ reference: fixture('drift/ref.csv'), columns: ['age', 'income', 'city', 'score'] });
  writeFileSync(join(dir, 'ref.profile.json'), serialiseProfile(profile));
  const { readFileSync } = await import('node:fs');
  const same = csvToEvents(readFileSync(fixture('drift/cur-same.csv'), 'utf8'));
  const shifted = csvToEvents(readFileSync(fixture('drift/cur-shifted.csv'), 'utf8'));
  writeFileSync(join(dir, 'same.jsonl'), [...same, 'not json', '[1,2]', ...same].join('\n') + '\n');
  writeFileSync(join(dir, 'shifted.jsonl'), [...same.slice(0, 200), ...shifted, ...shifted].join('\n') + '\n');
});
afterAll(() => cleanup());

describe('sketches', () => {
  it('moments merge exactly (Chan et al.)', () => {
    const rand = mulberry32(1);
    const a = emptyMoments();
    const b = emptyMoments();
    const all = emptyMoments();
    for (let i = 0; i < 1000; i++) {
      const x = rand() * 10;
      addMoment(i % 3 === 0 ? a : b, x);
      addMoment(all, x);
    }
    const m = mergeMoments(a, b);
    expect(m.n).toBe(all.n);
    expect(m.mean).toBeCloseTo(all.mean, 12);
    expect(m.m2).toBeCloseTo(all.m2, 8);
  });

  it('KLL stays bounded and merged quantiles are within 2% rank error', () => {
    const rand = mulberry32(2);
    const a = createKll();
    const b = createKll();
    for (let i = 0; i < 50_000; i++) kllAdd(i % 2 ? a : b, rand());
    const m = kllMerge(a, b);
    const stored = m.levels.reduce((s, l) => s + l.length, 0);
    expect(stored).toBeLessThan(1000);
    for (const q of [0.1, 0.5, 0.9, 0.99]) expect(Math.abs(kllQuantile(m, q) - q)).toBeLessThan(0.02);
  });

  it('space-saving keeps the heavy hitters', () => {
    const s = createSpaceSaving(5);
    for (let i = 0; i < 1000; i++) spaceSavingAdd(s, i % 2 === 0 ? 'hot' : `cold${i}`);
    expect(spaceSavingTop(s, 1)[0]!.value).toBe('hot');
  });
});

describe('createMonitor', () => {
  async function run(file: string, opts: { slide?: number; cooldown?: number } = {}): Promise<{ windows: WindowEvaluation[]; alerts: DriftAlert[]; malformed: number }> {
    const windows: WindowEvaluation[] = [];
    const alerts: DriftAlert[] = [];
    const monitor = createMonitor({ profile, window: 100, m: 2, n: 3, cooldown: opts.cooldown ?? 3, ...(opts.slide ? { slide: opts.slide } : {}), clock: () => 0, onWindow: (w) => void windows.push(w), onAlert: (a) => void alerts.push(a) });
    for await (const line of followLines({ path: join(dir, file), follow: false })) await monitor.pushLine(line);
    return { windows, alerts, malformed: monitor.stats.malformed };
  }

  it('negative: the same distribution raises no alert; malformed lines are counted', async () => {
    const r = await run('same.jsonl');
    expect(r.windows).toHaveLength(10);
    expect(r.alerts).toEqual([]);
    expect(r.malformed).toBe(2);
  });

  it('positive: a shift alerts on income, city, score and its confidence share after m of n windows, then cools down', async () => {
    const r = await run('shifted.jsonl');
    const cols = new Set(r.alerts.map((a) => a.column));
    for (const c of ['income', 'city', 'score', 'score:high_confidence_share']) expect(cols).toContain(c);
    expect(cols).not.toContain('age');
    const income = r.alerts.filter((a) => a.column === 'income');
    expect(income[0]!.breaches).toBeGreaterThanOrEqual(2);
    // At least two alerts, so the cooldown spacing below is checked, not skipped by an empty loop.
    expect(income.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < income.length; i++) expect(income[i]!.window - income[i - 1]!.window).toBeGreaterThan(3);
    const w = r.windows.at(-1)!.columns.find((c) => c.column === 'city')!;
    expect(w.unseenShare).toBeGreaterThan(0.05);
    expect(w.topUnseen?.[0]?.value).toBe('atlantis');
  });

  it('sliding windows evaluate every slide events', async () => {
    const r = await run('same.jsonl', { slide: 25 });
    expect(r.windows).toHaveLength(1 + (1000 - 100) / 25);
    expect(r.windows[1]!.first).toBe(25);
  });

  it('rejects a slide that does not divide the window', () => {
    expect(() => createMonitor({ profile, window: 100, slide: 30 })).toThrow(/--slide/);
  });
});

describe('sinks', () => {
  it('webhook: signed POST, retried with backoff on 503 until delivered', async () => {
    let calls = 0;
    const bodies: { body: string; sig: string | undefined }[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        calls++;
        bodies.push({ body, sig: req.headers['x-bulwark-signature'] as string | undefined });
        res.writeHead(calls < 3 ? 503 : 200);
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const sleeps: number[] = [];
    try {
      const send = createWebhookSink({ url: `http://127.0.0.1:${port}/hook`, secret: 's3cret', clock: () => Date.UTC(2026, 10, 21), sleep: (ms) => {
        sleeps.push(ms);
        return Promise.resolve();
      } });
      const ok = await send({ type: 'alert', column: 'income', window: 4, statistic: 0.9, threshold: 0.2, breaches: 3, of: 5, time: '2026-11-21T00:00:00.000Z' });
      expect(ok).toBe(true);
      expect(calls).toBe(3);
      expect(sleeps).toEqual([500, 1000]);
      const { body, sig } = bodies[2]!;
      expect(sig).toBe(`sha256=${createHmac('sha256', 's3cret').update(body).digest('hex')}`);
      expect(JSON.parse(body)).toMatchObject({ timestamp: '2026-11-21T00:00:00.000Z', alert: { column: 'income' } });
      const errors: string[] = [];
      const fail = createWebhookSink({ url: `http://127.0.0.1:${port}/hook`, secret: 'x', retries: 1, sleep: async () => {}, onError: (m) => void errors.push(m), fetch: () => Promise.reject(new Error('ECONNREFUSED')) });
      expect(await fail({ type: 'alert', column: 'a', window: 0, statistic: 1, threshold: 0, breaches: 1, of: 1, time: '' })).toBe(false);
      expect(errors[0]).toContain('ECONNREFUSED');
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('Prometheus /metrics is scraped on a random port', async () => {
    const metrics = createMonitorMetrics();
    const served = await serveMetrics(metrics.registry, 0);
    try {
      metrics.observeWindow({ type: 'window', index: 0, first: 0, last: 9, time: '', malformed: 1, columns: [{ column: 'income', method: 'wasserstein', statistic: 0.42, threshold: 0.2, breach: true, values: 10, missing: 0, invalid: 0 }] }, { events: 10, malformed: 1, windows: 1, alerts: 0 });
      metrics.observeAlert({ type: 'alert', column: 'income', window: 0, statistic: 0.42, threshold: 0.2, breaches: 1, of: 1, time: '' });
      const text = await (await fetch(`http://127.0.0.1:${served.port}/metrics`)).text();
      expect(text).toContain('bulwark_drift_statistic{column="income",method="wasserstein"} 0.42');
      expect(text).toContain('bulwark_drift_alerts_total{column="income"} 1');
      expect(text).toContain('bulwark_monitor_malformed_lines 1');
      expect((await fetch(`http://127.0.0.1:${served.port}/other`)).status).toBe(404);
    } finally {
      await served.close();
    }
  });

  it('followLines follows a growing file until aborted', async () => {
    const path = join(dir, 'grow.jsonl');
    writeFileSync(path, '{"a":1}\n{"a":');
    const controller = new AbortController();
    const seen: string[] = [];
    let polls = 0;
    for await (const line of followLines({
      path,
      follow: true,
      signal: controller.signal,
      sleep: () => {
        polls++;
        if (polls === 1) appendFileSync(path, '2}\n{"a":3}\n');
        else controller.abort();
        return Promise.resolve();
      },
    })) seen.push(line);
    expect(seen).toEqual(['{"a":1}', '{"a":2}', '{"a":3}']);
  });
});

describe('bulwark monitor (CLI)', () => {
  it('prints alert lines, a summary, and exits 1 with --fail-on-alert', async () => {
    const r = await runBulwark(['monitor', '--reference', join(dir, 'ref.profile.json'), '--input', join(dir, 'shifted.jsonl'), '--window', '100', '--m', '2', '--n', '3', '--alerts-only', '--fail-on-alert']);
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as DriftAlert);
    expect(lines.every((l) => l.type === 'alert')).toBe(true);
    expect(r.stderr).toMatch(/1200 event\(s\), 0 malformed line\(s\), 12 window\(s\), \d+ alert\(s\)/);
  });

  it('exits 3 naming the file when the reference cannot be read', async () => {
    writeFileSync(join(dir, 'broken.parquet'), 'PAR1 not really a parquet file');
    const r = await runBulwark(['monitor', '--reference', join(dir, 'broken.parquet'), '--input', join(dir, 'same.jsonl')]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('broken.parquet');
    expect(r.stderr).not.toContain('    at ');
  });

  it('refuses --webhook without a secret variable', async () => {
    const r = await runBulwark(['monitor', '--reference', join(dir, 'ref.profile.json'), '--input', join(dir, 'same.jsonl'), '--webhook', 'http://127.0.0.1:9/x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--webhook-secret-env');
  });
});
