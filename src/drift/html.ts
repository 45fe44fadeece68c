/**
 * The drift report as one self-contained HTML page (src/report/html.ts: strict CSP, no scripts, no
 * external requests): verdict, summary table, multivariate and prediction sections, and one
 * reference-vs-current histogram per column.
 */
import { escapeHtml, renderBarChartSvg, renderHtmlPage } from '../report/html.js';
import type { DriftReport } from './report.js';

function num(x: number | undefined): string {
  if (x === undefined || Number.isNaN(x)) return '—';
  if (x !== 0 && (Math.abs(x) < 1e-3 || Math.abs(x) >= 1e5)) return x.toExponential(2);
  return x.toFixed(4);
}

/** Renders {@link DriftReport} as an HTML page. */
export function renderDriftHtml(report: DriftReport): string {
  const d = report.drift;
  const m = report.metrics ?? {};
  const e = escapeHtml;
  const verdict = d.datasetDrift
    ? `<p class="bad">Dataset drift: ${m.drifted_columns ?? 0} of ${m.columns ?? 0} columns drifted (threshold ${(d.threshold * 100).toFixed(0)}%).</p>`
    : `<p class="ok">No dataset drift: ${m.drifted_columns ?? 0} of ${m.columns ?? 0} columns drifted (threshold ${(d.threshold * 100).toFixed(0)}%).</p>`;
  const subjects = report.subjects.map((s) => `<li><code>${e(s.name)}</code> <span class="muted">sha256:${e(s.digest.sha256)}</span></li>`).join('');
  const rows = d.columns
    .map(
      (c) =>
        `<tr><td><a href="#col-${e(encodeURIComponent(c.column))}">${e(c.column)}</a>${c.role === 'feature' ? '' : ` <span class="muted">(${c.role})</span>`}</td><td>${e(c.kind)}</td><td>${e(c.method)}</td>` +
        `<td class="num">${num(c.statistic)}</td><td class="num">${num(c.adjustedPValue ?? c.pValue)}</td><td class="num">${num(c.threshold)}</td>` +
        `<td class="num">${num(c.psi)}</td><td class="num">${(c.unseenShare * 100).toFixed(1)}%</td><td class="num">${c.n.reference} / ${c.n.current}</td>` +
        `<td>${c.method === 'none' ? '<span class="muted">not tested</span>' : c.drifted ? '<span class="bad">drift</span>' : '<span class="ok">ok</span>'}</td></tr>`,
    )
    .join('\n');
  const table =
    '<table><thead><tr><th>Column</th><th>Kind</th><th>Test</th><th>Statistic</th><th>p-value</th><th>Threshold</th><th>PSI</th><th>Unseen</th><th>n ref / cur</th><th>Result</th></tr></thead>' +
    `<tbody>\n${rows}\n</tbody></table>`;
  const mv = d.multivariate
    ? `<h2>Multivariate drift (PCA reconstruction error)</h2><p class="${d.multivariate.drifted ? 'bad' : 'ok'}">Error ${num(d.multivariate.error)}; reference bounds [${num(d.multivariate.lower)}, ${num(d.multivariate.upper)}]; ${d.multivariate.components} component(s) over ${d.multivariate.columns.map(e).join(', ')}.</p>`
    : '';
  const pred = d.prediction
    ? `<h2>Prediction confidence</h2><p class="${d.prediction.anomalous ? 'bad' : 'ok'}">Share of predictions with confidence ≥ ${d.prediction.threshold} in <code>${e(d.prediction.column)}</code>: reference ${(d.prediction.highConfidenceShare.reference * 100).toFixed(1)}%, current ${(d.prediction.highConfidenceShare.current * 100).toFixed(1)}% (z = ${num(d.prediction.zStatistic)}, p = ${num(d.prediction.pValue)}).</p>`
    : '';
  const charts = d.columns
    .map(
      (c) =>
        `<section id="col-${e(encodeURIComponent(c.column))}"><h2>${e(c.column)} <span class="muted">${e(c.kind)} · ${e(c.method)} · ${e(c.binning)}</span></h2>` +
        renderBarChartSvg({
          title: `${c.column}: reference vs current`,
          labels: c.histogram.labels,
          series: [
            { name: 'reference', values: c.histogram.reference, colour: 'var(--ref)' },
            { name: 'current', values: c.histogram.current, colour: 'var(--cur)' },
          ],
        }) +
        '</section>',
    )
    .join('\n');
  const body = [
    '<h1>Bulwark drift report</h1>',
    verdict,
    `<ul>${subjects}</ul>`,
    `<p class="muted">alpha ${d.alpha}, correction ${e(d.correction)}; distances use natural-log Jensen-Shannon and Wasserstein normalised by the reference standard deviation.</p>`,
    '<h2>Columns</h2>',
    table,
    mv,
    pred,
    charts,
  ].join('\n');
  return renderHtmlPage({ title: `Drift: ${report.target}`, body });
}
