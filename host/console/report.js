// A backtest's progress and report: polling, figures, charts and the changed decisions.

import { el, table, formatMoneyMap, formatMoney, formatPercent, formatTime, major, words, describeAction, reasonList, outcomeBadge, replace } from './dom.js';
import { get, path, query, sleep } from './api.js';
import { groupedBarChart, chartFigure, numbersTable } from './charts.js';
import { pager } from './ui.js';
import { decisionHash } from './routes.js';
import { messageOf } from './app.js';

export const CHANGES_LIMIT = 50;
const POLL_MS = 500;

/** GET /v1/backtests/{id} with a page of changes. */
export function fetchBacktest(id, offset = 0, limit = CHANGES_LIMIT) {
  return get(path`/v1/backtests/${id}` + query({ changes_offset: offset, changes_limit: limit }));
}

/**
 * Polls a backtest every 500 ms until it is done or failed (or the page is left),
 * calling onProgress(backtest) each time. Resolves with the last answer, or null when
 * the page was left.
 */
export async function pollBacktest(ctx, id, onProgress) {
  for (;;) {
    if (!ctx.isCurrent()) return null;
    const bt = await fetchBacktest(id);
    if (!ctx.isCurrent()) return null;
    onProgress(bt);
    if (bt.status !== 'running') return bt;
    await sleep(POLL_MS);
  }
}

/** A <progress> with "done of total" beside it. */
export function progressView(progressId, label) {
  const bar = el('progress', { id: progressId, max: 1, value: 0 });
  const text = el('span', { class: 'progress-text', id: `${progressId}-text` }, 'Starting…');
  const box = el('div', { class: 'progress-box', role: 'group', 'aria-label': label },
    el('label', { for: progressId }, label), bar, text);
  return {
    box,
    update(progress) {
      const total = Math.max(0, Number(progress && progress.total) || 0);
      const done = Math.max(0, Number(progress && progress.done) || 0);
      bar.max = Math.max(1, total);
      bar.value = Math.min(done, Math.max(1, total));
      text.textContent = `${done} of ${total}`;
    },
  };
}

function sideCell(side) {
  if (!side) return '—';
  const actions = (side.actions || []).map(describeAction);
  return el('div', { class: 'side' },
    el('div', null, outcomeBadge(side.outcome)),
    actions.length ? el('p', { class: 'actions-text' }, actions.join('; ')) : null,
    reasonList(side.reasons));
}

/**
 * The changed decisions, paged by changes_offset/changes_limit: a table `tableId` with
 * one <tr class="change"> each.
 */
export function changesView(ctx, { tableId, prefix, shop, backtestId, report, onPage }) {
  const box = el('div', { class: 'changes' });
  const draw = (rep) => {
    const page = rep.changes_page || { offset: 0, limit: CHANGES_LIMIT, kept: (rep.changes || []).length };
    const changes = rep.changes || [];
    const rows = changes.map((c) => [
      shop && c.decision_id ? el('a', { href: decisionHash(shop, c.decision_id), class: 'claim-link' }, c.claim_id) : c.claim_id,
      String(c.revision ?? ''),
      sideCell(c.before),
      sideCell(c.after),
    ]);
    const children = [];
    if (changes.length === 0) {
      children.push(el('p', { class: 'muted', id: `${prefix}-no-changes` }, 'No decision changed.'));
    }
    children.push(table({ id: tableId, class: 'changes-table stack-narrow' }, ['Claim', 'Revision', 'Before', 'After'], rows,
      { rowAttrs: () => ({ class: 'change' }) }));
    const from = changes.length ? page.offset + 1 : 0;
    const to = page.offset + changes.length;
    if (page.kept > changes.length || page.offset > 0) {
      children.push(pager({
        prevId: `${prefix}-changes-prev`,
        nextId: `${prefix}-changes-next`,
        prevLabel: 'Previous',
        nextLabel: 'Next',
        hasPrev: page.offset > 0,
        hasNext: to < page.kept,
        info: `${from}–${to} of ${page.kept} changed`,
        onPrev: () => load(Math.max(0, page.offset - page.limit)),
        onNext: () => load(page.offset + page.limit),
      }));
    }
    replace(box, children);
  };
  const load = async (offset) => {
    try {
      const bt = await ctx.busy(() => fetchBacktest(backtestId, offset));
      if (!ctx.isCurrent()) return;
      draw(bt.report);
      if (onPage) onPage(bt);
    } catch (error) {
      ctx.status(messageOf(error), 'error');
    }
  };
  draw(report);
  return box;
}

function currencies(...maps) {
  const set = new Set();
  for (const m of maps) for (const k of Object.keys(m || {})) set.add(k);
  return [...set].sort();
}

/** Money before/after by action type, per currency: chart + table. */
function moneyChart(report, chartId) {
  const byAction = (report.money && report.money.by_action) || {};
  const groups = [];
  const rows = [];
  for (const [action, sides] of Object.entries(byAction).sort(([a], [b]) => a.localeCompare(b))) {
    for (const cur of currencies(sides.before, sides.after, sides.delta)) {
      const before = (sides.before || {})[cur] || 0;
      const after = (sides.after || {})[cur] || 0;
      const delta = (sides.delta || {})[cur] ?? after - before;
      groups.push({ label: `${words(action)} (${cur})`, values: [major(before), major(after)] });
      rows.push([words(action), cur, formatMoney(before, cur), formatMoney(after, cur), formatMoney(delta, cur, { signed: true })]);
    }
  }
  const chart = groupedBarChart({
    id: chartId,
    title: 'Money given before and after, by action type (major units)',
    groups,
    series: [{ name: 'Before (as recorded)', className: 'bar-before' }, { name: 'After (candidate)', className: 'bar-after' }],
    format: (n) => n.toFixed(2),
  });
  return chartFigure({
    caption: 'Money by action type',
    chart,
    legendSeries: [{ name: 'Before (as recorded)', className: 'bar-before' }, { name: 'After (candidate)', className: 'bar-after' }],
    numbers: numbersTable(`${chartId}-table`, ['Action', 'Currency', 'Before', 'After', 'Change'], rows),
  });
}

function outcomesChart(report, chartId) {
  const before = (report.outcomes && report.outcomes.before) || {};
  const after = (report.outcomes && report.outcomes.after) || {};
  const order = ['compensate', 'pending', 'escalate', 'reject', 'close', 'inform'];
  const keys = [...new Set([...order.filter((k) => k in before || k in after), ...Object.keys(before), ...Object.keys(after)])];
  const groups = keys.map((k) => ({ label: words(k), values: [before[k] || 0, after[k] || 0] }));
  const rows = keys.map((k) => {
    const b = before[k] || 0;
    const a = after[k] || 0;
    const d = a - b;
    return [words(k), String(b), String(a), d > 0 ? `+${d}` : String(d)];
  });
  const chart = groupedBarChart({
    id: chartId,
    title: 'Outcomes before and after (decisions)',
    groups,
    series: [{ name: 'Before (as recorded)', className: 'bar-before' }, { name: 'After (candidate)', className: 'bar-after' }],
  });
  return chartFigure({
    caption: 'Outcomes',
    chart,
    legendSeries: [{ name: 'Before (as recorded)', className: 'bar-before' }, { name: 'After (candidate)', className: 'bar-after' }],
    numbers: numbersTable(`${chartId}-table`, ['Outcome', 'Before', 'After', 'Change'], rows),
  });
}

/** The headline figures of a report. */
export function summaryFacts(report, idPrefix) {
  const money = report.money || {};
  const pairs = [
    ['Decisions replayed', el('span', { id: `${idPrefix}-decisions` }, String(report.decisions ?? 0))],
    ['Claims', String(report.claims ?? '—')],
    ['Changed', el('span', { id: `${idPrefix}-changed` }, String(report.changed ?? 0))],
    ['Changed in what is done', String(report.changed_actions ?? '—')],
    ['Not replayed (module had failed)', String(report.not_replayed ?? 0)],
    ['Money before', formatMoneyMap(money.before)],
    ['Money after', formatMoneyMap(money.after)],
    ['Money change', el('span', { id: `${idPrefix}-money-delta` }, formatMoneyMap(money.delta, { signed: true, empty: 'no change' }))],
  ];
  if (report.escalation_rate) {
    pairs.push(['Escalation rate', `${formatPercent(report.escalation_rate.before)} → ${formatPercent(report.escalation_rate.after)}`]);
  }
  const dl = el('dl', { class: 'facts' });
  for (const [label, value] of pairs) dl.appendChild(el('div', { class: 'fact' }, el('dt', null, label), el('dd', null, value)));
  return dl;
}

/** The full report: figures, both charts and the changes. */
export function reportView(ctx, bt, { shop, prefix = 'bt', changesId = 'bt-changes' } = {}) {
  const report = bt.report;
  if (!report) return el('p', { class: 'muted' }, 'No report.');
  return el('div', { class: 'report' },
    summaryFacts(report, prefix),
    el('div', { class: 'chart-grid' },
      moneyChart(report, `${prefix}-chart-money`),
      outcomesChart(report, `${prefix}-chart-outcomes`)),
    el('h3', null, 'Changed decisions'),
    changesView(ctx, { tableId: changesId, prefix, shop, backtestId: bt.backtest_id, report }));
}

/** What a backtest tried, in words. */
export function describeBacktest(bt, moduleName) {
  const module = bt.module ? (moduleName || bt.module) : 'the recorded modules';
  const settings = bt.settings ? 'edited settings' : 'the recorded settings';
  const range = `${bt.from ? formatTime(bt.from) : 'the start'} to ${bt.to ? formatTime(bt.to) : 'now'}`;
  return `${module} with ${settings}, decisions from ${range}`;
}
