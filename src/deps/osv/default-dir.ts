import { join } from 'node:path';

/**
 * The default OSV database directory, from an environment the caller passes in (the library never
 * reads `process.env`): `$BULWARK_HOME/osv`, else `$XDG_CACHE_HOME/bulwark/osv` (XDG Base
 * Directory spec), else `~/.cache/bulwark/osv` (`HOME`, or `USERPROFILE` on Windows). Undefined
 * when none is set.
 */
export function defaultOsvDbDir(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const nonEmpty = (v: string | undefined): v is string => v !== undefined && v !== '';
  if (nonEmpty(env.BULWARK_HOME)) return join(env.BULWARK_HOME, 'osv');
  if (nonEmpty(env.XDG_CACHE_HOME)) return join(env.XDG_CACHE_HOME, 'bulwark', 'osv');
  const home = nonEmpty(env.HOME) ? env.HOME : env.USERPROFILE;
  return nonEmpty(home) ? join(home, '.cache', 'bulwark', 'osv') : undefined;
}
