// A shop's decisions: filters, a paged table (newest first), links to each decision.

import { el, table, formatTime, formatMoneyMap, shortDigest, words, dateToRfc3339, outcomeBadge, replace } from '../dom.js';
import { get, path, query } from '../api.js';
import { field, pager } from '../ui.js';
import { decisionHash } from '../routes.js';
import { messageOf } from '../app.js';

export const OUTCOMES = ['compensate', 'pending', 'escalate', 'reject', 'close', 'inform'];
export const KINDS = ['damaged', 'short_shipment', 'incomplete_set', 'wrong_item', 'document_request', 'return',
  'suspected_used', 'delivery_problem', 'unknown_order', 'other'];
const LIMIT = 50;

// Filters and position are remembered per shop for this tab, so "back" from a decision
// returns to the same page.
const remembered = new Map();

function select(id, label, options, value) {
  const s = el('select', { id, name: id.replace('filter-', '') },
    el('option', { value: '' }, 'Any'),
    options.map((o) => el('option', { value: o, selected: o === value }, words(o))));
  return field({ id, label, control: s });
}

export async function render(ctx) {
  const shop = ctx.params.shop;
  const state = remembered.get(shop) || {
    filters: { outcome: '', kind: '', from: '', to: '', claim: '', shadow: false },
    cursors: [null], // cursors[i]: the cursor of page i (null: the newest)
  };
  remembered.set(shop, state);

  const main = ctx.main;
  main.appendChild(el('h1', null, `Decisions · ${shop}`));

  const f = state.filters;
  const fromInput = el('input', { id: 'filter-from', name: 'from', type: 'date', value: f.from });
  const toInput = el('input', { id: 'filter-to', name: 'to', type: 'date', value: f.to });
  const claimInput = el('input', { id: 'filter-claim', name: 'claim_id', type: 'text', value: f.claim, autocomplete: 'off', spellcheck: 'false' });
  const shadowInput = el('input', { id: 'filter-shadow', name: 'changed_by_shadow', type: 'checkbox', checked: f.shadow });
  const form = el('form', { class: 'card filters', id: 'decision-filters', novalidate: true, role: 'search' },
    el('div', { class: 'filter-grid' },
      select('filter-outcome', 'Outcome', OUTCOMES, f.outcome),
      select('filter-kind', 'Claim kind', KINDS, f.kind),
      field({ id: 'filter-from', label: 'From (UTC date)', control: fromInput }),
      field({ id: 'filter-to', label: 'To (UTC date, inclusive)', control: toInput }),
      field({ id: 'filter-claim', label: 'Claim id', control: claimInput }),
      el('div', { class: 'field field-checkbox' }, shadowInput,
        el('label', { for: 'filter-shadow' }, 'Only those a shadow version would change'))),
    el('p', { class: 'error-text', id: 'filters-error', role: 'alert' }),
    el('div', { class: 'actions' }, el('button', { type: 'submit', id: 'apply-filters' }, 'Apply filters')));
  main.appendChild(form);

  const results = el('section', { class: 'card', 'aria-labelledby': 'decisions-title' },
    el('h2', { id: 'decisions-title' }, 'Decisions, newest first'));
  const body = el('div', { id: 'decisions-body' });
  results.appendChild(body);
  main.appendChild(results);

  const load = async (pageIndex) => {
    const q = {
      outcome: f.outcome, kind: f.kind,
      from: dateToRfc3339(f.from),
      to: dateToRfc3339(f.to, { endOfDay: true }),
      claim_id: f.claim,
      changed_by_shadow: f.shadow ? 'true' : '',
      limit: LIMIT,
      cursor: state.cursors[pageIndex] || '',
    };
    const answer = await get(path`/v1/shops/${shop}/decisions` + query(q));
    if (!ctx.isCurrent()) return;
    state.page = pageIndex;
    state.cursors.length = pageIndex + 1;
    if (answer.next_cursor) state.cursors.push(answer.next_cursor);
    const list = answer.decisions || [];
    const rows = list.map((d) => [
      formatTime(d.decided_at),
      el('a', { class: 'decision-link', href: decisionHash(shop, d.decision_id) }, d.claim_id),
      String(d.revision ?? ''),
      words(d.kind),
      outcomeBadge(d.outcome),
      words(d.risk),
      formatMoneyMap(d.money),
      el('span', { title: d.module || '' }, shortDigest(d.module)),
      String(d.settings_version ?? ''),
      d.failure ? el('span', { class: 'badge badge-bad' }, words(d.failure)) : '',
      d.changed_by_shadow ? el('span', { class: 'badge badge-info' }, 'changed') : '',
    ]);
    replace(body,
      list.length === 0 ? el('p', { class: 'muted', id: 'decisions-empty' },
        pageIndex === 0 ? 'No decisions match these filters.' : 'No older decisions.') : null,
      table({ id: 'decisions-table', class: 'stack-narrow' },
        ['Decided', 'Claim', 'Rev.', 'Kind', 'Outcome', 'Risk', 'Money', 'Module', 'Settings v.', 'Failure', 'Shadow'],
        rows, { rowAttrs: () => ({ class: 'decision' }) }),
      pager({
        prevId: 'newer', nextId: 'older', prevLabel: '← Newer', nextLabel: 'Older →',
        hasPrev: pageIndex > 0,
        hasNext: Boolean(answer.next_cursor),
        info: `Page ${pageIndex + 1}`,
        onPrev: () => go(pageIndex - 1),
        onNext: () => go(pageIndex + 1),
      }));
  };

  const go = async (pageIndex) => {
    try {
      await ctx.busy(() => load(pageIndex));
    } catch (error) {
      if (!ctx.isCurrent()) return;
      replace(body, el('p', { class: 'error-text', id: 'decisions-error' }, messageOf(error)));
      ctx.status(messageOf(error), 'error');
    }
  };

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const errorBox = form.querySelector('#filters-error');
    errorBox.textContent = '';
    const next = {
      outcome: form.querySelector('#filter-outcome').value,
      kind: form.querySelector('#filter-kind').value,
      from: fromInput.value,
      to: toInput.value,
      claim: claimInput.value.trim(),
      shadow: shadowInput.checked,
    };
    if (next.from && next.to && next.from > next.to) {
      errorBox.textContent = 'The "from" date is after the "to" date.';
      fromInput.focus();
      return;
    }
    Object.assign(f, next);
    state.cursors = [null];
    go(0);
  });

  await load(Math.min(state.page || 0, state.cursors.length - 1));
}
