// Hand-made SVG charts. Colours come from CSS classes; every chart has a <title> and is
// shown with a table of its numbers.

import { el, svg, uniqueId, table } from './dom.js';

function cut(label, max) {
  const s = String(label);
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

function niceMax(value) {
  if (!(value > 0)) return 1;
  const exp = 10 ** Math.floor(Math.log10(value));
  for (const m of [1, 2, 2.5, 5, 10]) {
    if (m * exp >= value) return m * exp;
  }
  return 10 * exp;
}

function compact(n) {
  const abs = Math.abs(n);
  if (abs >= 1e9) return `${(n / 1e9).toFixed(1)}B`;
  if (abs >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (abs >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  if (Number.isInteger(n)) return String(n);
  return n.toFixed(2);
}

function svgRoot({ id, title, description, width, height }) {
  const titleId = uniqueId('chart-title');
  const root = svg('svg', {
    id,
    class: 'chart-svg',
    viewBox: `0 0 ${width} ${height}`,
    role: 'img',
    'aria-labelledby': titleId,
    preserveAspectRatio: 'xMinYMin meet',
  });
  root.appendChild(svg('title', { id: titleId }, title));
  if (description) root.appendChild(svg('desc', null, description));
  return root;
}

function legend(series) {
  return el('ul', { class: 'legend' }, series.map((s) => el('li', null,
    el('span', { class: ['swatch', s.className], 'aria-hidden': 'true' }), s.name)));
}

/** A figure: caption, chart, legend and the numbers' table. */
export function chartFigure({ caption, chart, legendSeries, numbers, id, stack = false }) {
  return el('figure', { class: 'chart', id },
    el('figcaption', null, caption),
    el('div', { class: ['chart-body', stack ? 'stack' : 'side'] },
      el('div', { class: 'chart-drawing' }, chart, legendSeries ? legend(legendSeries) : null),
      el('div', { class: 'chart-numbers' }, numbers)));
}

/**
 * Horizontal grouped bars: one row per group, one bar per series.
 * groups: [{label, values: [n, n, ...]}]; series: [{name, className}]; format(n) for labels.
 */
/** Narrow screens get narrower drawings, so their text stays readable. */
function narrow() {
  return typeof window.matchMedia === 'function' && window.matchMedia('(max-width: 600px)').matches;
}

export function groupedBarChart({ id, title, groups, series, format = compact }) {
  const small = narrow();
  const width = small ? 360 : 640;
  const labelW = small ? 120 : 190;
  const valueW = small ? 70 : 110;
  const barH = 14;
  const barGap = 3;
  const groupGap = 14;
  const top = 8;
  const groupH = series.length * (barH + barGap) - barGap;
  const height = Math.max(40, top * 2 + groups.length * (groupH + groupGap));
  const root = svgRoot({ id, title, width, height, description: `${groups.length} groups, ${series.map((s) => s.name).join(' and ')}` });
  const max = niceMax(Math.max(0, ...groups.flatMap((g) => g.values.map((v) => Number(v) || 0))));
  const plotW = width - labelW - valueW;
  if (groups.length === 0) {
    root.appendChild(svg('text', { x: 10, y: 24, class: 'chart-empty' }, 'No data'));
    return root;
  }
  // axis line
  root.appendChild(svg('line', { x1: labelW, x2: labelW, y1: top - 4, y2: height - top + 4, class: 'axis' }));
  groups.forEach((g, gi) => {
    const y0 = top + gi * (groupH + groupGap);
    const labelMax = small ? 16 : 24;
    const label = svg('text', { x: labelW - 8, y: y0 + groupH / 2 + 4, class: 'chart-label', 'text-anchor': 'end' }, cut(g.label, labelMax));
    if (String(g.label).length > labelMax) label.appendChild(svg('title', null, String(g.label)));
    root.appendChild(label);
    g.values.forEach((v, si) => {
      const n = Number(v) || 0;
      const w = Math.max(n > 0 ? 1 : 0, (Math.max(0, n) / max) * plotW);
      const y = y0 + si * (barH + barGap);
      const rect = svg('rect', { x: labelW, y, width: w.toFixed(1), height: barH, class: ['bar', series[si].className] });
      rect.appendChild(svg('title', null, `${g.label}, ${series[si].name}: ${format(n)}`));
      root.appendChild(rect);
      root.appendChild(svg('text', { x: labelW + w + 4, y: y + barH - 3, class: 'chart-value' }, format(n)));
    });
  });
  return root;
}

/** Horizontal bars, one series. rows: [{label, value}]. */
export function barChart({ id, title, rows, className = 'bar-main', format = compact }) {
  return groupedBarChart({
    id,
    title,
    groups: rows.map((r) => ({ label: r.label, values: [r.value] })),
    series: [{ name: title, className }],
    format,
  });
}

/**
 * A time series: vertical bars (bar values) and an optional line (line values, own scale).
 * points: [{label, bar, line}].
 */
export function seriesChart({ id, title, points, barName, lineName, formatBar = compact, formatLine = compact }) {
  const small = narrow();
  const width = small ? 380 : 800;
  const height = small ? 240 : 280;
  const left = small ? 34 : 44;
  const right = lineName ? (small ? 44 : 64) : 12;
  const top = 12;
  const bottom = 40;
  const root = svgRoot({ id, title, width, height, description: `${points.length} periods` });
  if (points.length === 0) {
    root.appendChild(svg('text', { x: 10, y: 24, class: 'chart-empty' }, 'No data'));
    return root;
  }
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  let barMax = niceMax(Math.max(0, ...points.map((p) => Number(p.bar) || 0)));
  if (points.every((p) => Number.isInteger(Number(p.bar) || 0)) && !Number.isInteger(barMax / 4)) {
    barMax = Math.ceil(barMax / 4) * 4;
  }
  const lineMax = niceMax(Math.max(0, ...points.map((p) => Number(p.line) || 0)));
  const slot = plotW / points.length;
  const barW = Math.max(1, Math.min(40, slot * 0.7));
  // grid and axes
  for (let i = 0; i <= 4; i += 1) {
    const y = top + plotH - (plotH * i) / 4;
    root.appendChild(svg('line', { x1: left, x2: left + plotW, y1: y, y2: y, class: i === 0 ? 'axis' : 'grid' }));
    root.appendChild(svg('text', { x: left - 6, y: y + 4, class: 'chart-tick', 'text-anchor': 'end' }, formatBar((barMax * i) / 4)));
    if (lineName) {
      root.appendChild(svg('text', { x: left + plotW + 6, y: y + 4, class: 'chart-tick line-tick' }, formatLine((lineMax * i) / 4)));
    }
  }
  const every = Math.max(1, Math.ceil(points.length / (small ? 4 : 8)));
  points.forEach((p, i) => {
    const n = Number(p.bar) || 0;
    const h = (Math.max(0, n) / barMax) * plotH;
    const x = left + i * slot + (slot - barW) / 2;
    const rect = svg('rect', { x: x.toFixed(1), y: (top + plotH - h).toFixed(1), width: barW.toFixed(1), height: h.toFixed(1), class: 'bar bar-main' });
    rect.appendChild(svg('title', null, `${p.label}: ${barName} ${formatBar(n)}${lineName ? `, ${lineName} ${formatLine(Number(p.line) || 0)}` : ''}`));
    root.appendChild(rect);
    if (i % every === 0) {
      root.appendChild(svg('text', { x: (left + i * slot + slot / 2).toFixed(1), y: top + plotH + 16, class: 'chart-tick', 'text-anchor': 'middle' }, String(p.label)));
    }
  });
  if (lineName) {
    const coords = points.map((p, i) => {
      const x = left + i * slot + slot / 2;
      const y = top + plotH - ((Math.max(0, Number(p.line) || 0)) / lineMax) * plotH;
      return [x, y];
    });
    root.appendChild(svg('polyline', { points: coords.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' '), class: 'line line-money' }));
    coords.forEach(([x, y]) => root.appendChild(svg('circle', { cx: x.toFixed(1), cy: y.toFixed(1), r: 2.5, class: 'dot line-money' })));
  }
  return root;
}

/** A chart's numbers. */
export function numbersTable(id, headers, rows, caption) {
  return table({ id, class: 'numbers' }, headers, rows, { caption });
}
