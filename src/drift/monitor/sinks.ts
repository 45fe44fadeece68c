/**
 * Alert sinks of the monitor: an HMAC-SHA-256-signed webhook POST with retries and exponential
 * backoff, a Prometheus registry (prom-client) served on `/metrics`, and a line source that follows
 * a growing file. Clock and sleep are injected so tests run fast.
 */
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { open } from 'node:fs/promises';
import { Counter, Gauge, Registry } from 'prom-client';
import { BulwarkError } from '../../errors.js';
import type { DriftAlert, MonitorStats, WindowEvaluation } from './monitor.js';

/** Webhook attempts after the first one. */
export const DEFAULT_WEBHOOK_RETRIES = 4;
/** First backoff delay; doubled on each retry. */
export const DEFAULT_WEBHOOK_BACKOFF_MS = 500;
/** Header carrying `sha256=<hex HMAC of the body>`. */
export const SIGNATURE_HEADER = 'x-bulwark-signature';

/** Options of {@link createWebhookSink}. */
export interface WebhookOptions {
  url: string;
  /** HMAC key (from the environment variable the CLI names; never from a flag value). */
  secret: string;
  retries?: number;
  backoffMs?: number;
  clock?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Injected for tests; default: global fetch. */
  fetch?: typeof fetch;
  /** Called when delivery finally fails (alerts must not stop the monitor). */
  onError?: (message: string) => void;
}

/** `sha256=<hex>` over the exact body bytes. The timestamp is inside the signed body (replay window). */
export function signPayload(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Returns a function that POSTs an alert; retries on network errors, 429 and 5xx. */
export function createWebhookSink(options: WebhookOptions): (alert: DriftAlert) => Promise<boolean> {
  const retries = options.retries ?? DEFAULT_WEBHOOK_RETRIES;
  const backoff = options.backoffMs ?? DEFAULT_WEBHOOK_BACKOFF_MS;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const clock = options.clock ?? (() => 0);
  const doFetch = options.fetch ?? fetch;
  return async (alert) => {
    const body = JSON.stringify({ timestamp: new Date(clock()).toISOString(), alert });
    const signature = signPayload(options.secret, body);
    let last = '';
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (attempt > 0) await sleep(backoff * 2 ** (attempt - 1));
      try {
        const res = await doFetch(options.url, { method: 'POST', headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signature }, body });
        await res.body?.cancel();
        if (res.ok) return true;
        last = `HTTP ${res.status}`;
        if (res.status !== 429 && res.status < 500) break;
      } catch (err) {
        last = (err as Error).message;
      }
    }
    options.onError?.(`webhook ${options.url}: alert not delivered (${last})`);
    return false;
  };
}

/** Prometheus metrics of a monitor run. */
export interface MonitorMetrics {
  registry: Registry;
  /** Records one evaluated window. */
  observeWindow(evaluation: WindowEvaluation, stats: MonitorStats): void;
  /** Records one alert. */
  observeAlert(alert: DriftAlert): void;
}

/** A private registry (not prom-client's global one) with the monitor's series. */
export function createMonitorMetrics(): MonitorMetrics {
  const registry = new Registry();
  const statistic = new Gauge({ name: 'bulwark_drift_statistic', help: 'Drift statistic of the last window', labelNames: ['column', 'method'], registers: [registry] });
  const threshold = new Gauge({ name: 'bulwark_drift_threshold', help: 'Alert threshold (reference replay mean + 3 std)', labelNames: ['column'], registers: [registry] });
  const breach = new Gauge({ name: 'bulwark_drift_breach', help: '1 when the last window breached the threshold', labelNames: ['column'], registers: [registry] });
  const events = new Gauge({ name: 'bulwark_monitor_events', help: 'Valid events read', registers: [registry] });
  const malformed = new Gauge({ name: 'bulwark_monitor_malformed_lines', help: 'Malformed log lines skipped', registers: [registry] });
  const windows = new Counter({ name: 'bulwark_monitor_windows_total', help: 'Windows evaluated', registers: [registry] });
  const alerts = new Counter({ name: 'bulwark_drift_alerts_total', help: 'Alerts raised', labelNames: ['column'], registers: [registry] });
  return {
    registry,
    observeWindow(e, stats) {
      windows.inc();
      events.set(stats.events);
      malformed.set(stats.malformed);
      for (const c of e.columns) {
        statistic.set({ column: c.column, method: c.method }, c.statistic);
        threshold.set({ column: c.column }, c.threshold);
        breach.set({ column: c.column }, c.breach ? 1 : 0);
      }
    },
    observeAlert(a) {
      alerts.inc({ column: a.column });
    },
  };
}

/** Serves `registry` on http://host:port/metrics; resolves once listening (port 0 = a free port). */
export async function serveMetrics(registry: Registry, port: number, host = '127.0.0.1'): Promise<{ server: Server; port: number; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url?.split('?')[0] === '/metrics') {
      registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': registry.contentType });
          res.end(text);
        },
        () => {
          res.writeHead(500);
          res.end();
        },
      );
      return;
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new BulwarkError('USAGE', `--metrics-port ${port}: cannot listen (${err.message})`, { cause: err })));
    server.listen(port, host, resolve);
  });
  const addr = server.address();
  const bound = typeof addr === 'object' && addr !== null ? addr.port : port;
  return { server, port: bound, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** Options of {@link followLines}. */
export interface FollowOptions {
  path: string;
  /** Keep reading as the file grows (until the signal aborts); otherwise stop at end of file. */
  follow: boolean;
  signal?: AbortSignal;
  pollMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** Lines of a file, following it as it grows (`tail -f`), bounded memory (one partial line). */
export async function* followLines(options: FollowOptions): AsyncGenerator<string> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let handle;
  try {
    handle = await open(options.path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'FILE_NOT_FOUND' : 'FILE_UNREADABLE';
    throw new BulwarkError(code, `${options.path}: cannot read the log (${(err as Error).message})`, { cause: err });
  }
  try {
    const buf = Buffer.alloc(1 << 20);
    let position = 0;
    let partial = '';
    const decoder = new TextDecoder();
    for (;;) {
      if (options.signal?.aborted) break;
      const { bytesRead } = await handle.read(buf, 0, buf.length, position);
      if (bytesRead === 0) {
        if (!options.follow) break;
        await sleep(options.pollMs ?? 250);
        continue;
      }
      position += bytesRead;
      partial += decoder.decode(buf.subarray(0, bytesRead), { stream: true });
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) yield line;
    }
    if (partial !== '') yield partial;
  } finally {
    await handle.close();
  }
}
