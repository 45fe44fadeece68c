import { describe, expect, it } from 'vitest';
import { escapeHtml, renderBarChartSvg, renderHtmlPage } from './html.js';

describe('html building blocks', () => {
  it('escapes markup characters', () => {
    expect(escapeHtml(`<img src=x onerror="a('b')">&`)).toBe('&lt;img src=x onerror=&quot;a(&#39;b&#39;)&quot;&gt;&amp;');
  });

  it('builds a page with a strict CSP and an escaped title', () => {
    const page = renderHtmlPage({ title: '<script>', body: '<p>x</p>' });
    expect(page).toContain("default-src 'none'");
    expect(page).toContain('<title>&lt;script&gt;</title>');
    expect(page).not.toContain('<script');
  });

  it('draws one bar per value per series, scaled to the largest value', () => {
    const svg = renderBarChartSvg({
      title: 'h',
      labels: ['a', 'b'],
      series: [
        { name: 'reference', values: [1, 2], colour: 'var(--ref)' },
        { name: 'current', values: [4, 0], colour: 'var(--cur)' },
      ],
    });
    expect(svg.match(/<rect /g)).toHaveLength(4);
    expect(svg).toContain('current a: 4');
    expect(svg).toContain('height="138.00"'); // the largest bar fills the plot height (180 - 8 - 34)
  });
});
