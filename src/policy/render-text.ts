import type { PolicyReason, PolicyVerdict } from './types.js';

const MARK: Record<PolicyReason['effect'], string> = { fail: 'FAIL', incomplete: 'INCOMPLETE', warn: 'warn', info: 'note' };

/** Report text is untrusted: control characters (terminal escapes) become spaces. */
function printable(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    out += c < 0x20 || c === 0x7f || (c >= 0x80 && c < 0xa0) ? ' ' : ch;
  }
  return out;
}

/** Options of {@link renderVerdictText}. */
export interface VerdictTextOptions {
  /** ANSI colours (the CLI decides from the TTY and NO_COLOR). */
  colour: boolean;
}

/**
 * The verdict as terminal text: the verdict line, every reason (fail and incomplete first), a
 * rule tally and the evidence seen. `bulwark policy eval` prints it; `bulwark check` can too.
 */
export function renderVerdictText(v: PolicyVerdict, options: VerdictTextOptions): string {
  const paint = (code: string, s: string): string => (options.colour ? `\u001b[${code}m${s}\u001b[0m` : s);
  const head = v.verdict === 'pass' ? paint('32;1', 'PASS') : v.verdict === 'fail' ? paint('31;1', 'FAIL') : paint('33;1', 'INCOMPLETE');
  const lines = [`policy ${v.policy.source}: ${head}`];
  for (const r of v.reasons) {
    const mark = r.effect === 'fail' ? paint('31', MARK[r.effect]) : r.effect === 'incomplete' ? paint('33', MARK[r.effect]) : MARK[r.effect];
    lines.push(`  ${mark}  ${printable(r.message)}`);
  }
  const tally = new Map<string, number>();
  for (const r of v.rules) tally.set(r.status, (tally.get(r.status) ?? 0) + 1);
  if (v.rules.length > 0) lines.push(`rules: ${[...tally.entries()].map(([s, n]) => `${n} ${s}`).join(', ')}`);
  const seen = Object.entries(v.evidence).filter(([, e]) => e.present);
  lines.push(`evidence: ${seen.length === 0 ? 'none' : seen.map(([k, e]) => `${k}${e.reports > 1 ? ` x${e.reports}` : ''}${e.complete ? '' : ' (incomplete)'}`).join(', ')}`);
  if (v.allowed.length > 0) lines.push(`allowed: ${v.allowed.length} finding(s) by the allow-list or report suppressions`);
  return lines.join('\n') + '\n';
}
