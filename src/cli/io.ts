import { isBulwarkError } from '../errors.js';

/** What the CLI needs from the process, injected so that tests run it in-process. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** True when stderr is a terminal (progress and colours). */
  stderrIsTty: boolean;
  /** True when stdout is a terminal (colours in text output). */
  stdoutIsTty: boolean;
  env: Readonly<Record<string, string | undefined>>;
  /** Today's date, YYYY-MM-DD (suppression expiry). */
  today: string;
  /** Standard input, for commands that read `-` (e.g. `monitor --input -`); absent: no input. */
  stdin?: AsyncIterable<string | Buffer> | Iterable<string | Buffer>;
  /**
   * Registers a handler for an interrupt (SIGINT/SIGTERM) and returns its removal, so long-running
   * commands stop cleanly; absent in tests, which stop by closing the input.
   */
  onInterrupt?: (handler: () => void) => () => void;
}

/** Exit codes (ARCHITECTURE.md): the contract CI pipelines rely on. */
export const EXIT = Object.freeze({
  PASS: 0,
  FINDINGS: 1,
  USAGE: 2,
  INCOMPLETE: 3,
  INTERNAL: 70,
});

/** Error codes of an input that could not be read: malformed, truncated, unsupported, over a limit. */
const INPUT_ERROR_CODES: ReadonlySet<string> = new Set(['PARSE_ERROR', 'FILE_UNREADABLE', 'UNSUPPORTED', 'LIMIT_EXCEEDED']);

/**
 * Runs a command body whose input may not be readable: such an error is not an internal error nor a
 * usage error but an analysis that could not be done, so it prints the message (which names the file
 * and the line, column or offset) and exits 3, as errors.md lists. Every dataset command uses it
 * (`data`, `data pseudonymize|fingerprint|diff`, `drift`, `monitor`).
 */
export async function exitIncompleteOnInputError(io: CliIo, setExit: (code: number) => void, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (err) {
    if (isBulwarkError(err) && INPUT_ERROR_CODES.has(err.code)) {
      io.stderr(`bulwark: ${err.message}\n`);
      setExit(EXIT.INCOMPLETE);
      return;
    }
    throw err;
  }
}

/** Exit code of a gate verdict: 0 pass, 1 fail, 3 incomplete (ARCHITECTURE.md exit codes). */
export function verdictExitCode(verdict: 'pass' | 'fail' | 'incomplete'): number {
  switch (verdict) {
    case 'pass':
      return EXIT.PASS;
    case 'fail':
      return EXIT.FINDINGS;
    case 'incomplete':
      return EXIT.INCOMPLETE;
    default: {
      const never: never = verdict;
      return never;
    }
  }
}

/** True when colours are wanted: a TTY and no NO_COLOR (https://no-color.org). */
export function wantsColour(io: CliIo, stream: 'stdout' | 'stderr'): boolean {
  const tty = stream === 'stdout' ? io.stdoutIsTty : io.stderrIsTty;
  return tty && (io.env.NO_COLOR === undefined || io.env.NO_COLOR === '') && io.env.TERM !== 'dumb';
}
