// Backtests: try a module and/or settings on the shop's recorded decisions; see what
// would change. Also one backtest's page.

import { el, table, formatTime, shortDigest, dateToRfc3339, replace, words } from '../dom.js';
import { get, post, api, path, ApiError } from '../api.js';
import { field, showFieldError, topKey, forgetModules } from '../ui.js';
import { pollBacktest, progressView, reportView, describeBacktest, fetchBacktest } from '../report.js';
import { backtestHash, shopHash } from '../routes.js';
import { messageOf } from '../app.js';

function moduleOptionText(m) {
  return `${m.name} ${m.version} (${shortDigest(m.digest)})`;
}

function statusBadge(status) {
  const cls = status === 'done' ? 'badge-ok' : status === 'failed' ? 'badge-bad' : 'badge-info';
  return el('span', { class: ['badge', cls] }, words(status));
}

function listTable(shop, backtests, modules) {
  const names = new Map(modules.map((m) => [m.digest, `${m.name} ${m.version}`]));
  return table({ id: 'bt-list', class: 'stack-narrow' }, ['Started', 'Status', 'Progress', 'What was tried', 'By', ''],
    backtests.map((b) => [
      formatTime(b.created_at),
      statusBadge(b.status),
      `${b.progress ? b.progress.done : 0} of ${b.progress ? b.progress.total : 0}`,
      describeBacktest(b, names.get(b.module)),
      b.created_by || '—',
      el('a', { class: 'backtest-link', href: backtestHash(shop, b.backtest_id) }, 'Open'),
    ]));
}

/** Shows a finished (or failed) backtest in `target`. */
function showResult(ctx, target, bt, shop) {
  if (bt.status === 'failed') {
    replace(target, el('p', { class: 'error-text', id: 'bt-failed' }, `The backtest failed: ${bt.error || 'no reason given'}.`));
    return;
  }
  replace(target, reportView(ctx, bt, { shop, prefix: 'bt', changesId: 'bt-changes' }));
}

// ---------- the list and the form ----------

export async function renderList(ctx) {
  const shop = ctx.params.shop;
  const [listBody, modulesBody] = await Promise.all([
    get(path`/v1/shops/${shop}/backtests`),
    get('/v1/modules'),
  ]);
  if (!ctx.isCurrent()) return;
  const modules = (modulesBody.modules || []).filter((m) => m.world === 'compensation-policy');

  const main = ctx.main;
  main.appendChild(el('h1', null, `Backtests · ${shop}`));
  main.appendChild(el('p', { class: 'lead' },
    "Re-decide this shop's recorded claims with another module or other settings and see what would have changed. Nothing is changed for real."));

  // ----- the form -----
  const moduleSelect = el('select', { id: 'bt-module', name: 'module' },
    el('option', { value: '' }, 'As recorded'),
    modules.map((m) => el('option', { value: m.digest }, moduleOptionText(m))));
  const uploadInput = el('input', { id: 'bt-upload', name: 'upload', type: 'file', accept: '.wasm' });
  const uploadButton = el('button', { type: 'button', id: 'bt-upload-button', class: 'secondary' }, 'Upload module');
  const uploadError = el('p', { id: 'bt-upload-error', class: 'field-error', role: 'alert' });
  const uploadState = el('div', { id: 'bt-upload-state', class: 'muted' });
  const settingsInput = el('textarea', { id: 'bt-settings', name: 'settings', rows: 5, spellcheck: 'false', placeholder: '{"promo_max": 100000}' });
  const fromInput = el('input', { id: 'bt-from', name: 'from', type: 'date' });
  const toInput = el('input', { id: 'bt-to', name: 'to', type: 'date' });
  const runButton = el('button', { type: 'submit', id: 'bt-run' }, 'Run backtest');
  const formError = el('p', { id: 'bt-error', class: 'error-text', role: 'alert' });

  const form = el('form', { id: 'bt-form', class: 'card', novalidate: true },
    el('h2', null, 'Try a change'),
    field({ id: 'bt-module', label: 'Module', control: moduleSelect, help: '"As recorded" re-runs each decision with the module it was made with.' }),
    el('div', { class: 'field upload' },
      el('label', { for: 'bt-upload' }, 'Or upload a module (.wasm component)'),
      el('div', { class: 'inline' }, uploadInput, uploadButton),
      uploadState,
      uploadError),
    field({ id: 'bt-settings', label: 'Settings (JSON)', control: settingsInput, help: 'Empty: each decision keeps the settings it was made with.', errorId: 'bt-settings-error' }),
    el('div', { class: 'filter-grid' },
      field({ id: 'bt-from', label: 'From (UTC date)', control: fromInput, help: 'Empty: from the first decision.' }),
      field({ id: 'bt-to', label: 'To (UTC date, inclusive)', control: toInput, help: 'Empty: up to now.' })),
    formError,
    el('div', { class: 'actions' }, runButton));
  main.appendChild(form);

  const result = el('section', { id: 'bt-result', class: 'card', 'aria-labelledby': 'bt-result-title', hidden: true },
    el('h2', { id: 'bt-result-title' }, 'Result'));
  const resultBody = el('div', { id: 'bt-result-body' });
  result.appendChild(resultBody);
  main.appendChild(result);

  const past = el('section', { class: 'card', 'aria-labelledby': 'bt-list-title' },
    el('h2', { id: 'bt-list-title' }, 'Past backtests'));
  const pastBody = el('div');
  past.appendChild(pastBody);
  main.appendChild(past);
  const drawPast = (backtests) => replace(pastBody,
    backtests.length ? null : el('p', { class: 'muted' }, 'No backtests yet.'),
    listTable(shop, backtests, modules));
  drawPast(listBody.backtests || []);

  // ----- upload -----
  uploadButton.addEventListener('click', async () => {
    showFieldError(uploadInput, uploadError, '');
    const file = uploadInput.files && uploadInput.files[0];
    if (!file) {
      showFieldError(uploadInput, uploadError, 'Choose a .wasm file first.');
      uploadInput.focus();
      return;
    }
    uploadButton.disabled = true;
    replace(uploadState, el('progress', { id: 'bt-upload-progress', 'aria-label': 'Uploading' }), ` Uploading ${file.name}…`);
    ctx.setReady(false);
    try {
      const bytes = await file.arrayBuffer();
      const m = await api('POST', '/v1/modules', { body: bytes, contentType: 'application/wasm' });
      if (!ctx.isCurrent()) return;
      forgetModules();
      let option = [...moduleSelect.options].find((o) => o.value === m.digest);
      if (!option) {
        option = el('option', { value: m.digest }, moduleOptionText(m));
        moduleSelect.appendChild(option);
        modules.push(m);
      }
      moduleSelect.value = m.digest;
      replace(uploadState, `Uploaded ${m.name} ${m.version} (${shortDigest(m.digest)}); it is selected.`);
      ctx.status(`Module ${m.name} ${m.version} uploaded and selected.`, 'success');
    } catch (error) {
      if (!ctx.isCurrent()) return;
      replace(uploadState);
      showFieldError(uploadInput, uploadError, messageOf(error));
      ctx.status(`The module was refused: ${messageOf(error)}`, 'error');
    } finally {
      uploadButton.disabled = false;
      ctx.setReady(true);
    }
  });

  // ----- run -----
  let running = false;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (running) return;
    formError.textContent = '';
    showFieldError(settingsInput, document.getElementById('bt-settings-error'), '');
    showFieldError(fromInput, document.getElementById('bt-from-error'), '');
    showFieldError(toInput, document.getElementById('bt-to-error'), '');
    let settings = null;
    const text = settingsInput.value.trim();
    if (text) {
      try {
        settings = JSON.parse(text);
      } catch {
        settings = undefined;
      }
      if (!settings || typeof settings !== 'object' || Array.isArray(settings)) {
        showFieldError(settingsInput, document.getElementById('bt-settings-error'), 'Enter a JSON object, like {"promo_max": 100000}, or leave it empty.');
        settingsInput.focus();
        return;
      }
    }
    if (fromInput.value && toInput.value && fromInput.value > toInput.value) {
      showFieldError(fromInput, document.getElementById('bt-from-error'), 'The "from" date is after the "to" date.');
      fromInput.focus();
      return;
    }
    const body = {
      module: moduleSelect.value || null,
      settings,
      from: dateToRfc3339(fromInput.value),
      to: dateToRfc3339(toInput.value, { endOfDay: true }),
    };
    running = true;
    runButton.disabled = true;
    ctx.setReady(false);
    result.hidden = false;
    const progress = progressView('bt-progress', 'Re-deciding the recorded claims');
    replace(resultBody, progress.box);
    ctx.status('Backtest started…');
    try {
      const started = await post(path`/v1/shops/${shop}/backtests`, body);
      if (!ctx.isCurrent()) return;
      progress.update(started.progress);
      const bt = await pollBacktest(ctx, started.backtest_id, (b) => progress.update(b.progress));
      if (!bt) return;
      showResult(ctx, resultBody, bt, shop);
      resultBody.prepend(el('p', { class: 'muted' }, 'Permanent link: ',
        el('a', { href: backtestHash(shop, bt.backtest_id), id: 'bt-permalink' }, bt.backtest_id)));
      ctx.status(bt.status === 'failed' ? 'The backtest failed.' : `Backtest done: ${bt.report ? bt.report.changed : 0} of ${bt.report ? bt.report.decisions : 0} decisions would change.`,
        bt.status === 'failed' ? 'error' : 'success');
      try {
        const refreshed = await get(path`/v1/shops/${shop}/backtests`);
        if (ctx.isCurrent()) drawPast(refreshed.backtests || []);
      } catch {
        // the list stays as it was
      }
    } catch (error) {
      if (!ctx.isCurrent()) return;
      replace(resultBody);
      result.hidden = true;
      const message = messageOf(error);
      const key = error instanceof ApiError ? topKey(error.field) : null;
      if (error instanceof ApiError && (error.code === 'settings_rejected' || key === 'settings')) {
        showFieldError(settingsInput, document.getElementById('bt-settings-error'), message);
      } else if (key === 'from' || key === 'to') {
        const input = key === 'from' ? fromInput : toInput;
        showFieldError(input, document.getElementById(`bt-${key}-error`), message);
      } else if (key === 'module') {
        showFieldError(moduleSelect, document.getElementById('bt-module-error'), message);
      } else {
        formError.textContent = message;
      }
      ctx.status(message, 'error');
    } finally {
      if (ctx.isCurrent()) {
        running = false;
        runButton.disabled = false;
        ctx.setReady(true);
      }
    }
  });
}

// ---------- one backtest ----------

export async function renderOne(ctx) {
  const { shop, id } = ctx.params;
  const first = await fetchBacktest(id);
  if (!ctx.isCurrent()) return;
  if (first.shop_id && first.shop_id !== shop) {
    ctx.notFound(`Backtest ${id} is not one of shop ${shop}'s backtests.`);
    return;
  }
  let moduleName = null;
  if (first.module) {
    try {
      const m = await get(path`/v1/modules/${first.module}`);
      moduleName = `${m.name} ${m.version}`;
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) throw error;
    }
  }
  if (!ctx.isCurrent()) return;
  const main = ctx.main;
  main.appendChild(el('p', { class: 'breadcrumb' }, el('a', { href: shopHash(shop, 'backtests') }, '← All backtests')));
  main.appendChild(el('h1', null, `Backtest · ${shop}`));
  main.appendChild(el('section', { class: 'card' },
    el('p', { id: 'bt-description' }, `Tried ${describeBacktest(first, moduleName)}.`),
    el('p', { class: 'muted' }, `Started ${formatTime(first.created_at)} by ${first.created_by || '—'}${first.finished_at ? `; finished ${formatTime(first.finished_at)}` : ''}.`)));
  const result = el('section', { id: 'bt-result', class: 'card', 'aria-labelledby': 'bt-result-title' },
    el('h2', { id: 'bt-result-title' }, 'Result'));
  const body = el('div', { id: 'bt-result-body' });
  result.appendChild(body);
  main.appendChild(result);

  let bt = first;
  if (bt.status === 'running') {
    const progress = progressView('bt-progress', 'Re-deciding the recorded claims');
    progress.update(bt.progress);
    replace(body, progress.box);
    bt = await pollBacktest(ctx, id, (b) => progress.update(b.progress));
    if (!bt) return;
  }
  showResult(ctx, body, bt, shop);
}
