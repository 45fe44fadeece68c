import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { Command } from 'commander';
import { BulwarkError } from '../../errors.js';
import {
  buildReferenceProfile,
  createMonitor,
  createMonitorMetrics,
  createWebhookSink,
  followLines,
  isProfileFile,
  readProfile,
  serveMetrics,
  type DriftAlert,
  type DriftProfile,
} from '../../drift/index.js';
import { EXIT, exitIncompleteOnInputError, type CliIo } from '../io.js';

interface MonitorFlags {
  reference: string;
  input: string;
  window: string;
  slide?: string;
  m: string;
  n: string;
  cooldown: string;
  columns?: string;
  webhook?: string;
  webhookSecretEnv?: string;
  metricsPort?: string;
  follow?: boolean;
  alertsOnly?: boolean;
  failOnAlert?: boolean;
  quiet?: boolean;
}

function int(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new BulwarkError('USAGE', `${flag} ${value}: expected a non-negative integer`);
  return n;
}

async function loadReference(path: string): Promise<DriftProfile> {
  return (await isProfileFile(path)) ? readProfile(path) : buildReferenceProfile({ reference: path });
}

/** Lines of standard input; a USAGE error when the front-end gives the command none. */
function stdinLines(io: CliIo): AsyncIterable<string> {
  if (io.stdin === undefined) throw new BulwarkError('USAGE', '--input -: no standard input is available here; give a file');
  return createInterface({ input: Readable.from(io.stdin), crlfDelay: Infinity });
}

/** Registers `bulwark monitor`; `setExit` receives the exit code. Stops at end of input, or on SIGINT/SIGTERM with --follow. */
export function monitorCommand(io: CliIo, setExit: (code: number) => void): Command {
  return new Command('monitor')
    .description('Watch prediction logs (JSON Lines) for drift against a reference profile: windows, m-of-n alerts, webhook and Prometheus sinks.')
    .requiredOption('-r, --reference <profile>', 'reference profile from `bulwark drift profile` (or reference data)')
    .requiredOption('-i, --input <file>', 'prediction log, JSON Lines; - for standard input')
    .option('--window <events>', 'events per window', '1000')
    .option('--slide <events>', 'events between evaluations (sliding windows; must divide --window); default: tumbling')
    .option('--m <count>', 'breaches needed ...', '3')
    .option('--n <count>', '... among the last n windows', '5')
    .option('--cooldown <windows>', 'windows without a new alert for a column after it alerted', '5')
    .option('--columns <list>', 'comma-separated columns to watch (default: all continuous and categorical columns)')
    .option('--webhook <url>', 'POST each alert here, signed with HMAC-SHA-256 (header X-Bulwark-Signature)')
    .option('--webhook-secret-env <var>', 'environment variable holding the webhook secret')
    .option('--metrics-port <port>', 'serve Prometheus metrics on http://127.0.0.1:<port>/metrics')
    .option('--follow', 'keep reading the file as it grows (until interrupted)')
    .option('--alerts-only', 'print only alerts, not every window')
    .option('--fail-on-alert', 'exit 1 when any alert was raised')
    .option('-q, --quiet', 'no summary on stderr')
    .action(async (flags: MonitorFlags) =>
      exitIncompleteOnInputError(io, setExit, async () => {
        if (flags.webhook !== undefined && flags.webhookSecretEnv === undefined) throw new BulwarkError('USAGE', '--webhook needs --webhook-secret-env VAR (the secret is never passed on the command line)');
        const secret = flags.webhookSecretEnv !== undefined ? io.env[flags.webhookSecretEnv] : undefined;
        if (flags.webhookSecretEnv !== undefined && (secret === undefined || secret === '')) throw new BulwarkError('USAGE', `--webhook-secret-env ${flags.webhookSecretEnv}: the variable is not set`);
        if (flags.input === '-' && flags.follow) throw new BulwarkError('USAGE', '--follow reads a file; standard input is followed anyway');
        const profile = await loadReference(flags.reference);
        const metrics = flags.metricsPort !== undefined ? createMonitorMetrics() : undefined;
        const served = metrics ? await serveMetrics(metrics.registry, int('--metrics-port', flags.metricsPort!)) : undefined;
        if (served && !flags.quiet) io.stderr(`metrics on http://127.0.0.1:${served.port}/metrics\n`);
        const webhook = flags.webhook !== undefined && secret !== undefined ? createWebhookSink({ url: flags.webhook, secret, clock: Date.now, onError: (m) => io.stderr(`bulwark: ${m}\n`) }) : undefined;
        const controller = new AbortController();
        const stop = (): void => controller.abort();
        const removeInterrupt = io.onInterrupt?.(stop);
        try {
          const monitor = createMonitor({
            profile,
            window: int('--window', flags.window),
            slide: flags.slide !== undefined ? int('--slide', flags.slide) : int('--window', flags.window),
            m: int('--m', flags.m),
            n: int('--n', flags.n),
            cooldown: int('--cooldown', flags.cooldown),
            ...(flags.columns !== undefined ? { columns: flags.columns.split(',').map((c) => c.trim()).filter(Boolean) } : {}),
            clock: Date.now,
            onWindow: (e) => {
              metrics?.observeWindow(e, monitor.stats);
              if (!flags.alertsOnly) io.stdout(JSON.stringify(e) + '\n');
            },
            onAlert: async (a: DriftAlert) => {
              metrics?.observeAlert(a);
              io.stdout(JSON.stringify(a) + '\n');
              if (webhook) await webhook(a);
            },
          });
          const lines: AsyncIterable<string> =
            flags.input === '-' ? stdinLines(io) : followLines({ path: flags.input, follow: flags.follow ?? false, signal: controller.signal });
          for await (const line of lines) {
            if (controller.signal.aborted) break;
            await monitor.pushLine(line);
          }
          const s = monitor.stats;
          if (!flags.quiet) io.stderr(`${s.events} event(s), ${s.malformed} malformed line(s), ${s.windows} window(s), ${s.alerts} alert(s)\n`);
          setExit(flags.failOnAlert && s.alerts > 0 ? EXIT.FINDINGS : EXIT.PASS);
        } finally {
          removeInterrupt?.();
          await served?.close();
        }
      }),
    );
}
