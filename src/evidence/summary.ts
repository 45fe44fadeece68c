import type { PolicyReason, PolicyVerdict, RuleResult } from '../policy/index.js';
import { compareFindings, severityRank } from '../report/order.js';
import { escapeHtml, renderHtmlPage } from '../report/html.js';
import { SEVERITIES, type Finding, type Report } from '../report/types.js';

/** Options of the summaries. */
export interface SummaryOptions {
  /** When the evidence was produced (ISO 8601), from the injected clock. */
  generatedAt: string;
  /** Most reasons and findings listed before "and N more" (GitHub caps a job summary at 1 MiB). */
  maxItems?: number;
}

/** Default {@link SummaryOptions.maxItems}. */
export const DEFAULT_SUMMARY_MAX_ITEMS = 25;

const VERDICT_TEXT: Record<PolicyVerdict['verdict'], { icon: string; word: string; css: string }> = {
  pass: { icon: '✅', word: 'PASS', css: 'ok' },
  fail: { icon: '❌', word: 'FAIL', css: 'bad' },
  incomplete: { icon: '⚠️', word: 'INCOMPLETE', css: 'warn' },
};

const EFFECT_ICON: Record<PolicyReason['effect'], string> = { fail: '❌', incomplete: '⚠️', warn: '🟡', info: 'ℹ️' };

/**
 * Markdown-escapes text for a table cell or list item: HTML-significant characters become entities
 * (GitHub renders inline HTML in summaries and comments, and report text is untrusted), and the
 * characters that break tables or inline code are escaped.
 */
function mdText(text: string): string {
  return text
    .replace(/[&<>]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;'))
    .replace(/([\\`*_[\]|#~])/g, '\\$1')
    .replace(/\r?\n/g, ' ')
    .slice(0, 1000);
}

/** The `limit` most severe active findings (stable order) and how many there are, in one pass. */
export function topFindings(reports: readonly Report[], limit: number): { top: { kind: string; f: Finding }[]; total: number } {
  const top: { kind: string; f: Finding }[] = [];
  let total = 0;
  for (const r of reports) {
    for (const f of r.findings) {
      if (f.suppressed) continue;
      total++;
      const worst = top[top.length - 1];
      if (top.length >= limit && worst !== undefined) {
        // Cheap rejection first: most findings are less severe than the worst kept one.
        if (severityRank(f.severity) > severityRank(worst.f.severity) || compareFindings(f, worst.f) >= 0) continue;
        top.pop();
      }
      let i = top.length;
      while (i > 0 && compareFindings(f, top[i - 1]!.f) < 0) i--;
      top.splice(i, 0, { kind: r.kind, f });
    }
  }
  return { top, total };
}

function mappingText(r: RuleResult): string {
  const m = r.mappings;
  return [...m.nistAiRmf.map((x) => `NIST ${x}`), ...m.owaspMl, ...m.owaspLlm, ...m.atlas].join(', ');
}

/** The Markdown summary (GitHub job summaries and PR comments): verdict, evidence table, failing rules, reasons, top findings, details. */
export function renderSummaryMarkdown(verdict: PolicyVerdict, reports: readonly Report[], options: SummaryOptions): string {
  const max = options.maxItems ?? DEFAULT_SUMMARY_MAX_ITEMS;
  const v = VERDICT_TEXT[verdict.verdict];
  const out: string[] = [];
  out.push(`## ${v.icon} Bulwark policy: ${v.word}`, '');
  out.push(`Policy \`${mdText(verdict.policy.source)}\` (sha256 ${verdict.policy.digest.slice(0, 12)}), evaluated ${mdText(verdict.today)}; evidence generated ${mdText(options.generatedAt)}.`, '');
  out.push('| Evidence | Present | Complete | Critical | High | Medium | Low | Info |', '|---|---|---|---:|---:|---:|---:|---:|');
  for (const [key, e] of Object.entries(verdict.evidence)) {
    out.push(`| ${mdText(key)}${e.reports > 1 ? ` (${e.reports})` : ''} | ${e.present ? 'yes' : 'no'} | ${e.present ? (e.complete ? 'yes' : '**no**') : '–'} | ${SEVERITIES.map((s) => String(e.findings[s])).join(' | ')} |`);
  }
  out.push('');
  const failingRules = verdict.rules.filter((r) => r.status === 'fail' || r.status === 'error' || r.status === 'incomplete');
  if (failingRules.length > 0) {
    out.push('### Failing rules', '', '| Rule | Severity | Status | Why | Controls |', '|---|---|---|---|---|');
    for (const r of failingRules) out.push(`| \`${mdText(r.id)}\` | ${r.severity} | ${r.status} | ${mdText(r.description)}${r.message ? ` — ${mdText(r.message)}` : ''} | ${mdText(mappingText(r))} |`);
    out.push('');
  }
  const gating = verdict.reasons.filter((r) => r.effect === 'fail' || r.effect === 'incomplete');
  if (gating.length > 0) {
    out.push('### Reasons', '');
    for (const r of gating.slice(0, max)) out.push(`- ${EFFECT_ICON[r.effect]} ${mdText(r.message)}`);
    if (gating.length > max) out.push(`- … and ${gating.length - max} more (see verdict.json)`);
    out.push('');
  }
  const shown = Math.min(max, 10);
  const findings = topFindings(reports, shown);
  if (findings.total > 0) {
    out.push('### Top findings', '', '| Severity | Rule | Evidence | Location | Message |', '|---|---|---|---|---|');
    for (const { kind, f } of findings.top) {
      out.push(`| ${f.severity} | ${mdText(f.ruleId)} | ${mdText(kind)} | ${mdText(f.location.uri + (f.location.member ? `!${f.location.member}` : ''))} | ${mdText(f.message)} |`);
    }
    if (findings.total > shown) out.push('', `… and ${findings.total - shown} more in bulwark.sarif.`);
    out.push('');
  }
  const notes = verdict.reasons.filter((r) => r.effect === 'warn' || r.effect === 'info');
  if (notes.length > 0) {
    out.push(`<details><summary>Warnings and notes (${notes.length})</summary>`, '');
    for (const r of notes.slice(0, max)) out.push(`- ${EFFECT_ICON[r.effect]} ${mdText(r.message)}`);
    out.push('', '</details>', '');
  }
  if (verdict.rules.length > 0) {
    out.push(`<details><summary>All rules (${verdict.rules.length})</summary>`, '', '| Rule | Status | Severity | Controls |', '|---|---|---|---|');
    for (const r of verdict.rules) out.push(`| \`${mdText(r.id)}\` | ${r.status} | ${r.severity} | ${mdText(mappingText(r))} |`);
    out.push('', '</details>', '');
  }
  const withMetrics = reports.filter((r) => Object.keys(r.metrics ?? {}).length > 0);
  if (withMetrics.length > 0) {
    out.push('<details><summary>Metrics</summary>', '', '| Evidence | Target | Metric | Value |', '|---|---|---|---:|');
    for (const r of withMetrics) for (const [k, val] of Object.entries(r.metrics ?? {}).sort()) out.push(`| ${mdText(r.kind)} | ${mdText(r.target)} | ${mdText(k)} | ${val} |`);
    out.push('', '</details>', '');
  }
  if (verdict.allowed.length > 0) {
    out.push(`<details><summary>Allowed findings (${verdict.allowed.length})</summary>`, '', '| Rule | Location | Reason | Expires |', '|---|---|---|---|');
    for (const a of verdict.allowed.slice(0, max)) out.push(`| ${mdText(a.ruleId)} | ${mdText(a.uri)} | ${mdText(a.reason)} | ${mdText(a.expires || '–')} |`);
    out.push('', '</details>', '');
  }
  return out.join('\n');
}

/** The self-contained HTML summary (src/report/html.ts: inline CSS, strict CSP, no scripts). */
export function renderSummaryHtml(verdict: PolicyVerdict, reports: readonly Report[], options: SummaryOptions): string {
  const max = options.maxItems ?? DEFAULT_SUMMARY_MAX_ITEMS;
  const v = VERDICT_TEXT[verdict.verdict];
  const e = escapeHtml;
  const parts: string[] = [];
  parts.push(`<h1 id="verdict" class="${v.css}">Bulwark policy: ${v.word}</h1>`);
  parts.push(`<p class="muted">Policy <code>${e(verdict.policy.source)}</code> (sha256 ${e(verdict.policy.digest.slice(0, 12))}), evaluated ${e(verdict.today)}; evidence generated ${e(options.generatedAt)}.</p>`);
  parts.push('<h2>Evidence</h2><table><thead><tr><th>Evidence</th><th>Present</th><th>Complete</th>' + SEVERITIES.map((s) => `<th>${s}</th>`).join('') + '</tr></thead><tbody>');
  for (const [key, x] of Object.entries(verdict.evidence)) {
    const complete = x.present ? (x.complete ? '<span class="ok">yes</span>' : '<span class="bad">no</span>') : '–';
    parts.push(`<tr><td>${e(key)}${x.reports > 1 ? ` (${x.reports})` : ''}</td><td>${x.present ? 'yes' : '<span class="muted">no</span>'}</td><td>${complete}</td>${SEVERITIES.map((s) => `<td class="num">${x.findings[s]}</td>`).join('')}</tr>`);
  }
  parts.push('</tbody></table>');
  const gating = verdict.reasons.filter((r) => r.effect === 'fail' || r.effect === 'incomplete');
  if (gating.length > 0) {
    parts.push('<h2>Reasons</h2><ul id="reasons">');
    for (const r of gating.slice(0, max)) parts.push(`<li class="${r.effect === 'fail' ? 'bad' : 'warn'}">${e(r.message)}</li>`);
    if (gating.length > max) parts.push(`<li class="muted">… and ${gating.length - max} more (see verdict.json)</li>`);
    parts.push('</ul>');
  }
  if (verdict.rules.length > 0) {
    parts.push('<h2>Rules</h2><table id="rules"><thead><tr><th>Rule</th><th>Status</th><th>Severity</th><th>Description</th><th>Controls</th></tr></thead><tbody>');
    for (const r of verdict.rules) {
      const css = r.status === 'pass' ? 'ok' : r.status === 'skipped' ? 'muted' : r.status === 'warn' ? 'warn' : 'bad';
      parts.push(`<tr><td><code>${e(r.id)}</code></td><td class="${css}">${r.status}</td><td>${r.severity}</td><td>${e(r.description)}${r.message ? `<br><span class="muted">${e(r.message)}</span>` : ''}</td><td>${e(mappingText(r))}</td></tr>`);
    }
    parts.push('</tbody></table>');
  }
  const findings = topFindings(reports, max);
  if (findings.total > 0) {
    parts.push('<h2>Top findings</h2><table><thead><tr><th>Severity</th><th>Rule</th><th>Evidence</th><th>Location</th><th>Message</th></tr></thead><tbody>');
    for (const { kind, f } of findings.top) {
      parts.push(`<tr><td>${f.severity}</td><td>${e(f.ruleId)}</td><td>${e(kind)}</td><td><code>${e(f.location.uri + (f.location.member ? `!${f.location.member}` : ''))}</code></td><td>${e(f.message)}</td></tr>`);
    }
    parts.push('</tbody></table>');
    if (findings.total > max) parts.push(`<p class="muted">… and ${findings.total - max} more in bulwark.sarif.</p>`);
  }
  const notes = verdict.reasons.filter((r) => r.effect === 'warn' || r.effect === 'info');
  if (notes.length > 0) {
    parts.push(`<details><summary>Warnings and notes (${notes.length})</summary><ul>`);
    for (const r of notes.slice(0, max)) parts.push(`<li>${e(r.message)}</li>`);
    parts.push('</ul></details>');
  }
  if (verdict.allowed.length > 0) {
    parts.push(`<details><summary>Allowed findings (${verdict.allowed.length})</summary><table><thead><tr><th>Rule</th><th>Location</th><th>Reason</th><th>Expires</th></tr></thead><tbody>`);
    for (const a of verdict.allowed.slice(0, max)) parts.push(`<tr><td>${e(a.ruleId)}</td><td><code>${e(a.uri)}</code></td><td>${e(a.reason)}</td><td>${e(a.expires || '–')}</td></tr>`);
    parts.push('</tbody></table></details>');
  }
  return renderHtmlPage({ title: `Bulwark evidence: ${v.word}`, body: parts.join('\n') });
}
