/**
 * Building blocks for Bulwark's self-contained HTML pages (data profile, drift report, evidence
 * summary): one file, inline CSS and SVG charts, no scripts, no external requests, so a page can be
 * attached to a CI run or mailed and still render. Every value from a report goes through
 * {@link escapeHtml}; nothing from the input is ever emitted as markup.
 */

/** Escapes text for HTML element content and double-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => {
    switch (c) {
      case '&':
        return '&amp;';
      case '<':
        return '&lt;';
      case '>':
        return '&gt;';
      case '"':
        return '&quot;';
      default:
        return '&#39;';
    }
  });
}

/** The page frame's inputs: `body` is trusted markup built with {@link escapeHtml}. */
export interface HtmlPageOptions {
  readonly title: string;
  readonly body: string;
  /** Extra CSS appended to the shared style sheet. */
  readonly css?: string;
}

const BASE_CSS = `
:root { color-scheme: light dark; --fg: #1b1f24; --muted: #59636e; --bg: #ffffff; --line: #d1d9e0;
  --ref: #6e7781; --cur: #0969da; --bad: #cf222e; --warn: #9a6700; --ok: #1a7f37; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --muted: #9198a1; --bg: #0d1117; --line: #3d444d; } }
body { font: 14px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg);
  margin: 2rem auto; max-width: 72rem; padding: 0 1rem; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 2rem; }
table { border-collapse: collapse; width: 100%; margin: 0.5rem 0 1rem; }
th, td { border-bottom: 1px solid var(--line); padding: 0.3rem 0.6rem; text-align: left; vertical-align: top; }
th { font-weight: 600; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.muted { color: var(--muted); } .bad { color: var(--bad); font-weight: 600; } .warn { color: var(--warn); }
.ok { color: var(--ok); font-weight: 600; } code { font-size: 0.9em; }
svg.chart { display: block; max-width: 100%; height: auto; }
.legend span { display: inline-block; margin-right: 1rem; } .swatch { display: inline-block; width: 0.8em; height: 0.8em; margin-right: 0.3em; }
`;

/** A complete HTML5 document with the shared style sheet and a strict CSP (no scripts, no fetches). */
export function renderHtmlPage(options: HtmlPageOptions): string {
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    `<title>${escapeHtml(options.title)}</title>`,
    `<style>${BASE_CSS}${options.css ?? ''}</style>`,
    '</head>',
    '<body>',
    options.body,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/** One bar series of {@link renderBarChartSvg}. */
export interface BarSeries {
  readonly name: string;
  /** Heights, one per category; scaled together with the other series. */
  readonly values: readonly number[];
  /** A CSS colour or variable, e.g. `var(--cur)`. */
  readonly colour: string;
}

/** Inputs of {@link renderBarChartSvg}. */
export interface BarChartOptions {
  /** Category labels along the x axis (bins or values); long labels are shortened. */
  readonly labels: readonly string[];
  readonly series: readonly BarSeries[];
  /** Accessible name of the chart (the SVG `<title>`). */
  readonly title: string;
  readonly width?: number;
  readonly height?: number;
}

function shorten(label: string, max: number): string {
  return label.length <= max ? label : `${label.slice(0, max - 1)}…`;
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toPrecision(3);
}

/**
 * A grouped bar chart as inline SVG (histograms, reference vs current distributions). Each bar has
 * a `<title>` tooltip with its exact value; the chart has `role="img"` and an accessible title.
 */
export function renderBarChartSvg(options: BarChartOptions): string {
  const width = options.width ?? 560;
  const height = options.height ?? 180;
  const pad = { left: 40, right: 8, top: 8, bottom: 34 };
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const n = Math.max(1, options.labels.length);
  const max = Math.max(0, ...options.series.flatMap((s) => s.values.filter(Number.isFinite)));
  const groupW = plotW / n;
  const barW = Math.max(1, (groupW * 0.85) / Math.max(1, options.series.length));
  const parts: string[] = [];
  parts.push(`<title>${escapeHtml(options.title)}</title>`);
  parts.push(`<line x1="${pad.left}" y1="${pad.top + plotH}" x2="${width - pad.right}" y2="${pad.top + plotH}" stroke="currentColor" stroke-opacity="0.4"/>`);
  parts.push(`<text x="${pad.left - 4}" y="${pad.top + 10}" font-size="10" text-anchor="end" fill="currentColor">${escapeHtml(fmt(max))}</text>`);
  options.series.forEach((series, si) => {
    series.values.forEach((v, i) => {
      const value = Number.isFinite(v) ? v : 0;
      const h = max > 0 ? (value / max) * plotH : 0;
      const x = pad.left + i * groupW + groupW * 0.075 + si * barW;
      const y = pad.top + plotH - h;
      const label = options.labels[i] ?? String(i);
      parts.push(
        `<rect x="${x.toFixed(2)}" y="${y.toFixed(2)}" width="${barW.toFixed(2)}" height="${h.toFixed(2)}" fill="${escapeHtml(series.colour)}">` +
          `<title>${escapeHtml(`${series.name} ${label}: ${fmt(value)}`)}</title></rect>`,
      );
    });
  });
  const every = Math.max(1, Math.ceil(n / 10));
  options.labels.forEach((label, i) => {
    if (i % every !== 0) return;
    const x = pad.left + i * groupW + groupW / 2;
    parts.push(`<text x="${x.toFixed(2)}" y="${height - pad.bottom + 14}" font-size="10" text-anchor="middle" fill="currentColor">${escapeHtml(shorten(label, 12))}</text>`);
  });
  const legend = options.series
    .map((s) => `<span><span class="swatch" style="background:${escapeHtml(s.colour)}"></span>${escapeHtml(s.name)}</span>`)
    .join('');
  return (
    `<svg class="chart" role="img" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">${parts.join('')}</svg>` +
    (options.series.length > 1 ? `<div class="legend">${legend}</div>` : '')
  );
}
