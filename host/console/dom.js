// DOM building and formatting helpers. Every string from the server becomes a text
// node: nothing here parses HTML.

const SVG_NS = 'http://www.w3.org/2000/svg';

function append(parent, child) {
  if (child === null || child === undefined || child === false) return;
  if (Array.isArray(child)) {
    for (const c of child) append(parent, c);
    return;
  }
  if (child instanceof Node) {
    parent.appendChild(child);
    return;
  }
  parent.appendChild(document.createTextNode(String(child)));
}

function setAttrs(node, attrs) {
  if (!attrs) return;
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'style') throw new Error('inline styles are not allowed (CSP)');
    if (key === 'class') {
      node.setAttribute('class', Array.isArray(value) ? value.filter(Boolean).join(' ') : value);
    } else if (key === 'dataset') {
      for (const [k, v] of Object.entries(value)) node.dataset[k] = String(v);
    } else if (key.startsWith('on') && typeof value === 'function') {
      node.addEventListener(key.slice(2), value);
    } else if (key === 'value' && 'value' in node && !(node instanceof SVGElement)) {
      node.value = value;
    } else if (key === 'checked' || key === 'disabled' || key === 'selected' || key === 'hidden'
      || key === 'required' || key === 'multiple') {
      node[key] = Boolean(value);
    } else if (value === true) {
      node.setAttribute(key, '');
    } else {
      node.setAttribute(key, String(value));
    }
  }
}

/** el('tag', {attrs}, ...children): string children become text nodes. */
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  setAttrs(node, attrs);
  append(node, children);
  return node;
}

/** The same for SVG elements. */
export function svg(tag, attrs, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  setAttrs(node, attrs);
  append(node, children);
  return node;
}

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

export function replace(node, ...children) {
  clear(node);
  append(node, children);
  return node;
}

let uid = 0;
export function uniqueId(prefix) {
  uid += 1;
  return `${prefix}-${uid}`;
}

/** A table: headers (strings) and rows (arrays of cells: string, Node, or {cell, attrs}). */
export function table(attrs, headers, rows, { caption, rowAttrs } = {}) {
  const thead = el('thead', null, el('tr', null, headers.map((h) => el('th', { scope: 'col' }, h))));
  // Each cell names its column (data-label), for the stacked layout on narrow screens.
  const tbody = el('tbody', null, rows.map((row, i) => el('tr', rowAttrs ? rowAttrs(i) : null,
    row.map((cell, j) => {
      const label = headers[j] ? { 'data-label': headers[j] } : null;
      return cell && cell.cell !== undefined
        ? el('td', { ...(label || {}), ...(cell.attrs || {}) }, cell.cell)
        : el('td', label, cell);
    }))));
  const t = el('table', attrs, caption ? el('caption', null, caption) : null, thead, tbody);
  return el('div', { class: 'table-wrap' }, t);
}

/** A definition list from [label, value] pairs. */
export function facts(pairs, attrs) {
  const dl = el('dl', { class: 'facts', ...(attrs || {}) });
  for (const [label, value] of pairs) {
    dl.appendChild(el('div', { class: 'fact' }, el('dt', null, label), el('dd', null, value)));
  }
  return dl;
}

// ---------- formatting ----------

const moneyFormat = new Intl.NumberFormat('en-US', {
  minimumFractionDigits: 2,
  maximumFractionDigits: 2,
});

/** 35000, 'RUB' -> "350.00 RUB". */
export function formatMoney(minor, currency, { signed = false } = {}) {
  const n = Number(minor) || 0;
  const text = moneyFormat.format(Math.abs(n) / 100);
  let sign = n < 0 ? '-' : '';
  if (signed && n > 0) sign = '+';
  return `${sign}${text}${currency ? ` ${currency}` : ''}`;
}

/** {"RUB": 35000, "USD": 100} -> "350.00 RUB, 1.00 USD"; empty -> "none". */
export function formatMoneyMap(map, { signed = false, empty = 'none' } = {}) {
  const entries = Object.entries(map || {}).filter(([cur, v]) => typeof v === 'number' && !(cur === '' && v === 0));
  if (entries.length === 0) return empty;
  entries.sort(([a], [b]) => a.localeCompare(b));
  return entries.map(([cur, v]) => formatMoney(v, cur, { signed })).join(', ');
}

/** Minor units as a major-unit number (for charts). */
export function major(minor) {
  return (Number(minor) || 0) / 100;
}

function pad(n) {
  return String(n).padStart(2, '0');
}

/** RFC 3339 (or unix ms) -> "YYYY-MM-DD HH:MM UTC". */
export function formatTime(value) {
  if (value === null || value === undefined || value === '') return '—';
  const d = typeof value === 'number' ? new Date(value) : new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} `
    + `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} UTC`;
}

export function formatPercent(rate, digits = 1) {
  if (rate === null || rate === undefined || Number.isNaN(Number(rate))) return '—';
  return `${(Number(rate) * 100).toFixed(digits)}%`;
}

export function formatNumber(n) {
  if (n === null || n === undefined) return '—';
  return new Intl.NumberFormat('en-US').format(n);
}

export function shortDigest(digest) {
  if (!digest) return 'platform default';
  const s = String(digest);
  const hex = s.startsWith('sha256:') ? s.slice(7) : s;
  return `sha256:${hex.slice(0, 10)}…`;
}

/** "damaged_or_short" -> "damaged or short". */
export function words(key) {
  return String(key ?? '').replace(/_/g, ' ');
}

/** Today's date (UTC) as YYYY-MM-DD, shifted by `days`. */
export function isoDate(days = 0) {
  const d = new Date(Date.now() + days * 86400000);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

/** A date input's value (YYYY-MM-DD) as the start of that UTC day; endOfDay: the next day's start. */
export function dateToRfc3339(value, { endOfDay = false, lastSecond = false } = {}) {
  if (!value) return null;
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) return null;
  let t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  if (endOfDay) t += 86400000;
  if (lastSecond) t += 86399000;
  return new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function nowMinusDays(days) {
  return new Date(Date.now() - days * 86400000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Compact text for a JSON value (shown as text, never parsed as markup). */
export function jsonText(value) {
  if (value === undefined) return '';
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

/** An action as plain words: "refund 350.00 RUB (return required)". */
export function describeAction(action) {
  if (!action || typeof action !== 'object') return String(action);
  const parts = [words(action.type)];
  if (typeof action.amount === 'number') parts.push(formatMoney(action.amount, action.currency));
  if (action.type === 'refund' && typeof action.requires_return === 'boolean') {
    parts.push(action.requires_return ? '(goods to be returned)' : '(goods stay with the customer)');
  }
  if (Array.isArray(action.items) && action.items.length) parts.push(`: ${action.items.join(', ')}`);
  if (action.from) parts.push(`from ${words(action.from)}`);
  if (action.to) parts.push(`to ${words(action.to)}`);
  if (action.document) parts.push(words(action.document));
  if (action.via) parts.push(`via ${words(action.via)}`);
  if (action.quality) parts.push(`(${action.quality} quality)`);
  if (action.note) parts.push(`— ${action.note}`);
  return parts.join(' ');
}

/** A list of reasons: one <li> each, its text the reason's text; the rule code as data. */
export function reasonList(reasons, attrs) {
  const list = reasons || [];
  if (list.length === 0) return el('p', { class: 'muted' }, 'No reasons given.');
  return el('ul', { class: 'reasons', ...(attrs || {}) },
    list.map((r) => el('li', { 'data-rule': r.rule || '' }, r.text ?? r.message ?? r.explanation ?? '')));
}

export function outcomeBadge(outcome) {
  return el('span', { class: ['badge', `outcome-${String(outcome || 'unknown').replace(/[^a-z_]/g, '')}`] },
    words(outcome || 'unknown'));
}
