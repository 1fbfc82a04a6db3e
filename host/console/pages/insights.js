// Insights: claims, escalations, fraud and money over time and by kind, category, SKU and
// customer; on the platform page also by shop.

import { el, facts, replace, formatMoneyMap, formatPercent, formatNumber, words, isoDate, dateToRfc3339, major, formatTime } from '../dom.js';
import { get, path, query } from '../api.js';
import { field } from '../ui.js';
import { seriesChart, barChart, chartFigure, numbersTable } from '../charts.js';
import { messageOf } from '../app.js';
import { shopHash } from '../routes.js';

const remembered = new Map();

/** The currency with the most money in a map (for charts that draw one currency). */
function mainCurrency(money) {
  let best = null;
  for (const [cur, v] of Object.entries(money || {})) {
    if (!cur) continue;
    if (best === null || v > money[best]) best = cur;
  }
  return best;
}

function breakdownFigure({ id, caption, rows, keyHeader, withShop = false, by = 'claims', currency }) {
  const chartRows = rows.map((r) => ({
    label: withShop && r.shop_id ? `${r.key} (${r.shop_id})` : (keyHeader === 'Kind' ? words(r.key) : String(r.key ?? '')),
    value: by === 'money' ? major((r.money || {})[currency] || 0) : Number(r.claims) || 0,
  }));
  const title = by === 'money' ? `${caption} (${currency || 'no money'}, major units)` : `${caption} (claims)`;
  const headers = [keyHeader];
  if (withShop) headers.push('Shop');
  headers.push('Claims', 'Escalations', 'Fraud flagged', 'Money');
  const tableRows = rows.map((r) => {
    const row = [keyHeader === 'Kind' ? words(r.key) : String(r.key ?? '')];
    if (withShop) row.push(String(r.shop_id ?? ''));
    row.push(formatNumber(r.claims), formatNumber(r.escalations), formatNumber(r.fraud_flagged), formatMoneyMap(r.money));
    return row;
  });
  return chartFigure({
    caption,
    chart: barChart({ id, title, rows: chartRows, className: by === 'money' ? 'bar-money' : 'bar-main', format: by === 'money' ? (n) => n.toFixed(2) : undefined }),
    numbers: numbersTable(`${id}-table`, headers, tableRows),
  });
}

function renderData(ctx, body, data, platform) {
  const totals = data.totals || {};
  const currency = mainCurrency(totals.money);
  const series = data.series || [];
  const out = [];

  out.push(el('p', { class: 'muted', id: 'insights-range' },
    `${formatTime(data.from)} to ${formatTime(data.to)}, by ${data.bucket || 'day'}.`));

  out.push(el('section', { class: 'card', 'aria-labelledby': 'insights-totals-title' },
    el('h2', { id: 'insights-totals-title' }, 'Totals'),
    facts([
      ['Claims', el('span', { id: 'total-claims' }, formatNumber(totals.claims ?? 0))],
      ['Escalations', formatNumber(totals.escalations ?? 0)],
      ['Escalation rate', el('span', { id: 'escalation-rate' }, formatPercent(totals.escalation_rate))],
      ['Fraud flagged', formatNumber(totals.fraud_flagged ?? 0)],
      ['Fraud rate', el('span', { id: 'fraud-rate' }, formatPercent(totals.fraud_rate))],
      ['Money given', el('span', { id: 'total-money' }, formatMoneyMap(totals.money))],
    ], { id: 'insights-totals' })));

  // Over time.
  const seriesFigure = chartFigure({
    caption: 'Claims and money over time',
    chart: seriesChart({
      id: 'chart-series',
      title: `Claims per ${data.bucket || 'day'}${currency ? ` and money given (${currency})` : ''}`,
      points: series.map((p) => ({ label: String(p.start), bar: p.claims, line: currency ? major((p.money || {})[currency] || 0) : 0 })),
      barName: 'claims',
      lineName: currency ? `money (${currency})` : null,
      formatLine: (n) => (n >= 10000 ? `${(n / 1000).toFixed(0)}k` : n.toFixed(0)),
    }),
    legendSeries: [{ name: 'Claims', className: 'bar-main' }].concat(currency ? [{ name: `Money given (${currency})`, className: 'line-money' }] : []),
    stack: true,
    numbers: numbersTable('chart-series-table', ['Period', 'Claims', 'Escalations', 'Fraud flagged', 'Money'],
      series.map((p) => [String(p.start), formatNumber(p.claims), formatNumber(p.escalations), formatNumber(p.fraud_flagged), formatMoneyMap(p.money)])),
  });
  out.push(el('section', { class: 'card' }, seriesFigure));

  out.push(el('section', { class: 'card chart-grid' },
    breakdownFigure({ id: 'chart-kind', caption: 'By claim kind', rows: data.by_kind || [], keyHeader: 'Kind' }),
    breakdownFigure({ id: 'chart-category', caption: 'By category', rows: data.by_category || [], keyHeader: 'Category' })));

  out.push(el('section', { class: 'card chart-grid' },
    breakdownFigure({ id: 'chart-top-skus-claims', caption: 'Top SKUs by claims', rows: data.top_skus_by_claims || [], keyHeader: 'SKU', withShop: platform }),
    breakdownFigure({ id: 'chart-top-skus-money', caption: 'Top SKUs by money given', rows: data.top_skus_by_money || [], keyHeader: 'SKU', withShop: platform, by: 'money', currency: currency || mainCurrency(((data.top_skus_by_money || [])[0] || {}).money) })));

  const repeat = data.repeat_customers || {};
  const top = repeat.top || [];
  out.push(el('section', { class: 'card', 'aria-labelledby': 'repeat-title' },
    el('h2', { id: 'repeat-title' }, 'Repeat customers'),
    facts([
      ['Customers with claims', el('span', { id: 'repeat-customers-total' }, formatNumber(repeat.customers ?? 0))],
      ['With more than one claim', el('span', { id: 'repeat-customers-count' }, formatNumber(repeat.repeat_customers ?? 0))],
      ['Share', formatPercent(repeat.customers ? (repeat.repeat_customers || 0) / repeat.customers : null)],
      ['Their claims', formatNumber(repeat.repeat_claims ?? null)],
    ]),
    top.length
      ? chartFigure({
        caption: 'Customers with the most claims',
        chart: barChart({ id: 'chart-repeat', title: 'Claims per repeat customer', rows: top.map((c) => ({ label: String(c.customer_id), value: c.claims })) }),
        numbers: numbersTable('repeat-customers', ['Customer', 'Claims'], top.map((c) => [String(c.customer_id), formatNumber(c.claims)])),
      })
      : el('p', { class: 'muted', id: 'repeat-customers' }, 'No customer has more than one claim in this period.')));

  if (platform) {
    const shops = (data.by_shop || []).slice().sort((a, b) => (b.damaged_or_short_rate ?? 0) - (a.damaged_or_short_rate ?? 0) || (b.claims ?? 0) - (a.claims ?? 0));
    out.push(el('section', { class: 'card', 'aria-labelledby': 'by-shop-title' },
      el('h2', { id: 'by-shop-title' }, 'By shop: whose goods arrive damaged or short most often'),
      numbersTable('by-shop', ['Shop', 'Claims', 'Damaged', 'Short shipment', 'Damaged or short (share of claims)', 'Escalations', 'Fraud flagged', 'Money'],
        shops.map((s) => [
          el('a', { href: shopHash(s.shop_id, 'overview') }, String(s.shop_id)),
          formatNumber(s.claims), formatNumber(s.damaged), formatNumber(s.short_shipment),
          formatPercent(s.damaged_or_short_rate), formatNumber(s.escalations), formatNumber(s.fraud_flagged), formatMoneyMap(s.money),
        ]))));
  }
  replace(body, out);
}

async function renderInsights(ctx, platform) {
  const shop = ctx.params.shop;
  const key = platform ? '*platform' : shop;
  const state = remembered.get(key) || { from: isoDate(-29), to: isoDate(0), bucket: 'day' };
  remembered.set(key, state);

  const main = ctx.main;
  main.appendChild(el('h1', null, platform ? 'Platform insights' : `Insights · ${shop}`));

  const fromInput = el('input', { id: 'insights-from', name: 'from', type: 'date', value: state.from });
  const toInput = el('input', { id: 'insights-to', name: 'to', type: 'date', value: state.to });
  const bucket = el('select', { id: 'insights-bucket', name: 'bucket' },
    el('option', { value: 'day', selected: state.bucket === 'day' }, 'Day'),
    el('option', { value: 'week', selected: state.bucket === 'week' }, 'Week'));
  const error = el('p', { id: 'insights-error', class: 'error-text', role: 'alert' });
  const form = el('form', { class: 'card filters', novalidate: true },
    el('div', { class: 'filter-grid' },
      field({ id: 'insights-from', label: 'From (UTC date)', control: fromInput }),
      field({ id: 'insights-to', label: 'To (UTC date, inclusive)', control: toInput }),
      field({ id: 'insights-bucket', label: 'Group by', control: bucket })),
    error,
    el('div', { class: 'actions' }, el('button', { type: 'submit', id: 'insights-apply' }, 'Show')));
  main.appendChild(form);
  const body = el('div', { id: 'insights-body' });
  main.appendChild(body);

  const load = async () => {
    const q = query({
      from: dateToRfc3339(state.from),
      // The server counts whole UTC days, the day holding `to` included.
      to: dateToRfc3339(state.to, { lastSecond: true }),
      bucket: state.bucket,
    });
    const url = platform ? `/v1/platform/insights${q}` : path`/v1/shops/${shop}/insights` + q;
    const data = await get(url);
    if (!ctx.isCurrent()) return;
    renderData(ctx, body, data, platform);
  };

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.textContent = '';
    if (fromInput.value && toInput.value && fromInput.value > toInput.value) {
      error.textContent = 'The "from" date is after the "to" date.';
      fromInput.focus();
      return;
    }
    state.from = fromInput.value;
    state.to = toInput.value;
    state.bucket = bucket.value;
    try {
      await ctx.busy(load);
    } catch (e) {
      if (!ctx.isCurrent()) return;
      error.textContent = messageOf(e);
      ctx.status(messageOf(e), 'error');
    }
  });

  await load();
}

export function renderShop(ctx) {
  return renderInsights(ctx, false);
}

export function renderPlatform(ctx) {
  return renderInsights(ctx, true);
}

