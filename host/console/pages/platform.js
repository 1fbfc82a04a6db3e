// Operator pages: modules, the audit log, the hard-fraud list, the spending guardrails.

import { el, table, replace, formatTime, formatNumber, formatMoney, words, jsonText } from '../dom.js';
import { get, put, del, api, path, mapLimit, ApiError } from '../api.js';
import { field, showFieldError, topKey, pager, forgetModules } from '../ui.js';
import { messageOf } from '../app.js';

// ---------- modules ----------

function failureText(failures) {
  const entries = Object.entries(failures || {}).filter(([, n]) => n > 0);
  if (entries.length === 0) return 'none';
  return entries.map(([kind, n]) => `${words(kind)}: ${n}`).join(', ');
}

export async function renderModules(ctx) {
  const list = await get('/v1/modules');
  if (!ctx.isCurrent()) return;
  const modules = list.modules || [];
  const details = await mapLimit(modules, 4, (m) => get(path`/v1/modules/${m.digest}`).catch((error) => {
    if (error instanceof ApiError && error.status === 401) throw error;
    return null;
  }));
  if (!ctx.isCurrent()) return;

  const main = ctx.main;
  main.appendChild(el('h1', null, 'Modules'));
  main.appendChild(el('p', { class: 'lead' }, 'Every policy component uploaded, with how often it failed while deciding.'));

  // Upload
  const fileInput = el('input', { id: 'module-upload', type: 'file', accept: '.wasm', name: 'module' });
  const uploadButton = el('button', { type: 'submit', id: 'module-upload-button' }, 'Upload');
  const uploadError = el('p', { id: 'module-upload-error', class: 'field-error', role: 'alert' });
  const uploadState = el('div', { class: 'muted' });
  const form = el('form', { class: 'card', novalidate: true },
    el('h2', null, 'Upload a module'),
    el('div', { class: 'field' },
      el('label', { for: 'module-upload' }, 'Component (.wasm), for every shop'),
      el('div', { class: 'inline' }, fileInput, uploadButton),
      uploadState,
      uploadError));
  main.appendChild(form);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    showFieldError(fileInput, uploadError, '');
    const file = fileInput.files && fileInput.files[0];
    if (!file) {
      showFieldError(fileInput, uploadError, 'Choose a .wasm file first.');
      return;
    }
    uploadButton.disabled = true;
    replace(uploadState, el('progress', { 'aria-label': 'Uploading' }), ` Uploading ${file.name}…`);
    ctx.setReady(false);
    try {
      const m = await api('POST', '/v1/modules', { body: await file.arrayBuffer(), contentType: 'application/wasm' });
      if (!ctx.isCurrent()) return;
      forgetModules();
      ctx.main.replaceChildren();
      await renderModules(ctx);
      ctx.status(`Uploaded ${m.name} ${m.version} (${m.digest}).`, 'success');
    } catch (error) {
      if (!ctx.isCurrent()) return;
      replace(uploadState);
      showFieldError(fileInput, uploadError, messageOf(error));
      ctx.status(`The module was refused: ${messageOf(error)}`, 'error');
      uploadButton.disabled = false;
    } finally {
      ctx.setReady(true);
    }
  });

  main.appendChild(el('section', { class: 'card', 'aria-labelledby': 'modules-title' },
    el('h2', { id: 'modules-title' }, `${modules.length} modules`),
    table({ id: 'modules', class: 'stack-narrow' }, ['Name', 'Version', 'World', 'Digest', 'Size', 'Uploaded by', 'Uploaded at', 'Failures'],
      modules.map((m, i) => [
        String(m.name ?? ''),
        String(m.version ?? ''),
        words(m.world),
        el('code', { class: 'digest' }, String(m.digest ?? '')),
        `${formatNumber(Math.round((m.size || 0) / 1024))} KiB`,
        String(m.uploaded_by ?? ''),
        formatTime(m.uploaded_at),
        details[i] ? failureText(details[i].failures) : 'not known',
      ]))));
}

// ---------- audit ----------

const AUDIT_PAGE = 25;

function detailText(detail) {
  if (detail === null || detail === undefined) return '';
  if (typeof detail !== 'object') return String(detail);
  return Object.entries(detail).map(([k, v]) => `${words(k)}: ${typeof v === 'object' && v !== null ? jsonText(v) : v}`).join('; ');
}

export async function renderAudit(ctx) {
  const body = await get('/v1/audit');
  if (!ctx.isCurrent()) return;
  const entries = body.entries || [];
  const main = ctx.main;
  main.appendChild(el('h1', null, 'Audit log'));
  main.appendChild(el('p', { class: 'lead' }, 'Uploads, settings changes, policy versions, promotions and rollbacks, newest first (the newest 500).'));

  const actions = [...new Set(entries.map((e) => e.action))].sort();
  const actionSelect = el('select', { id: 'audit-action', name: 'action' },
    el('option', { value: '' }, 'Every action'),
    actions.map((a) => el('option', { value: a }, a)));
  const form = el('form', { class: 'card filters', novalidate: true },
    el('div', { class: 'filter-grid' }, field({ id: 'audit-action', label: 'Action', control: actionSelect })),
    el('div', { class: 'actions' }, el('button', { type: 'submit', id: 'audit-apply' }, 'Filter')));
  main.appendChild(form);
  const box = el('section', { class: 'card' });
  main.appendChild(box);

  let offset = 0;
  let shown = entries;
  const draw = () => {
    const page = shown.slice(offset, offset + AUDIT_PAGE);
    replace(box,
      page.length === 0 ? el('p', { class: 'muted' }, 'No entries.') : null,
      table({ id: 'audit', class: 'stack-narrow' }, ['When', 'Who', 'Action', 'Subject', 'Detail'],
        page.map((e) => [
          formatTime(e.at_ms),
          String(e.actor ?? ''),
          String(e.action ?? ''),
          el('span', { class: 'break' }, String(e.subject ?? '')),
          el('span', { class: 'detail-text' }, detailText(e.detail)),
        ]), { rowAttrs: () => ({ class: 'audit-entry' }) }),
      pager({
        prevId: 'audit-newer', nextId: 'audit-older', prevLabel: '← Newer', nextLabel: 'Older →',
        hasPrev: offset > 0,
        hasNext: offset + AUDIT_PAGE < shown.length,
        info: shown.length ? `${offset + 1}–${Math.min(offset + AUDIT_PAGE, shown.length)} of ${shown.length}` : '',
        onPrev: () => { offset = Math.max(0, offset - AUDIT_PAGE); draw(); },
        onNext: () => { offset += AUDIT_PAGE; draw(); },
      }));
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    shown = actionSelect.value ? entries.filter((e) => e.action === actionSelect.value) : entries;
    offset = 0;
    draw();
  });
  draw();
}

// ---------- fraud list ----------

const FRAUD_PAGE = 50;

export async function renderFraudList(ctx) {
  const main = ctx.main;
  main.appendChild(el('h1', null, 'Hard-fraud list'));
  main.appendChild(el('p', { class: 'lead' }, "A listed customer's next claims are blocked and go to office staff (rule F1)."));

  const customerInput = el('input', { id: 'fraud-customer', name: 'customer_id', type: 'text', autocomplete: 'off', spellcheck: 'false', required: true });
  const reasonInput = el('input', { id: 'fraud-reason', name: 'reason', type: 'text', autocomplete: 'off', required: true });
  const addButton = el('button', { type: 'submit', id: 'fraud-add' }, 'Add to the list');
  const formError = el('p', { class: 'error-text', id: 'fraud-error', role: 'alert' });
  const form = el('form', { class: 'card', id: 'fraud-form', novalidate: true },
    el('h2', null, 'Add a customer'),
    el('div', { class: 'filter-grid' },
      field({ id: 'fraud-customer', label: 'Customer id', control: customerInput }),
      field({ id: 'fraud-reason', label: 'Reason', control: reasonInput, help: 'Required: say why, for whoever reads the list later.' })),
    formError,
    el('div', { class: 'actions' }, addButton));
  main.appendChild(form);
  const box = el('section', { class: 'card', 'aria-labelledby': 'fraud-list-title' },
    el('h2', { id: 'fraud-list-title' }, 'On the list'));
  const listBody = el('div');
  box.appendChild(listBody);
  main.appendChild(box);

  let offset = 0;
  let entries = [];
  const draw = () => {
    if (offset >= entries.length) offset = Math.max(0, Math.floor((entries.length - 1) / FRAUD_PAGE) * FRAUD_PAGE);
    const page = entries.slice(offset, offset + FRAUD_PAGE);
    replace(listBody,
      entries.length === 0 ? el('p', { class: 'muted', id: 'fraud-empty' }, 'Nobody is on the list.') : null,
      table({ id: 'fraud-list', class: 'stack-narrow' }, ['Customer', 'Reason', 'Added by', 'Added at', ''],
        page.map((e) => [
          String(e.customer_id ?? ''),
          String(e.reason ?? ''),
          String(e.added_by ?? ''),
          formatTime(e.added_at),
          el('button', {
            type: 'button', class: 'secondary small fraud-remove', 'data-customer-id': String(e.customer_id ?? ''),
            'aria-label': `Remove ${e.customer_id} from the list`,
            onclick: (event) => remove(e.customer_id, event.currentTarget),
          }, 'Remove'),
        ]), { rowAttrs: () => ({ class: 'fraud-entry' }) }),
      entries.length > FRAUD_PAGE ? pager({
        prevId: 'fraud-prev', nextId: 'fraud-next', prevLabel: 'Previous', nextLabel: 'Next',
        hasPrev: offset > 0, hasNext: offset + FRAUD_PAGE < entries.length,
        info: `${offset + 1}–${Math.min(offset + FRAUD_PAGE, entries.length)} of ${entries.length}`,
        onPrev: () => { offset = Math.max(0, offset - FRAUD_PAGE); draw(); },
        onNext: () => { offset += FRAUD_PAGE; draw(); },
      }) : null);
  };
  const load = async () => {
    const body = await get('/v1/platform/fraud-list');
    if (!ctx.isCurrent()) return;
    entries = (body.entries || []).slice();
    draw();
  };

  async function remove(customerId, button) {
    button.disabled = true;
    ctx.setReady(false);
    try {
      await del(path`/v1/platform/fraud-list/${customerId}`);
      if (!ctx.isCurrent()) return;
      await load();
      ctx.status(`${customerId} is off the hard-fraud list.`, 'success');
    } catch (error) {
      if (!ctx.isCurrent()) return;
      button.disabled = false;
      ctx.status(messageOf(error), 'error');
    } finally {
      ctx.setReady(true);
    }
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    formError.textContent = '';
    const customerError = document.getElementById('fraud-customer-error');
    const reasonError = document.getElementById('fraud-reason-error');
    showFieldError(customerInput, customerError, '');
    showFieldError(reasonInput, reasonError, '');
    const customerId = customerInput.value.trim();
    const reason = reasonInput.value.trim();
    let bad = null;
    if (!customerId) {
      showFieldError(customerInput, customerError, 'Enter the customer id.');
      bad = bad || customerInput;
    }
    if (!reason) {
      showFieldError(reasonInput, reasonError, 'Say why the customer goes on the list: the reason is required.');
      bad = bad || reasonInput;
    }
    if (bad) {
      bad.focus();
      return;
    }
    addButton.disabled = true;
    ctx.setReady(false);
    try {
      await put(path`/v1/platform/fraud-list/${customerId}`, { reason });
      if (!ctx.isCurrent()) return;
      customerInput.value = '';
      reasonInput.value = '';
      await load();
      ctx.status(`${customerId} is on the hard-fraud list.`, 'success');
    } catch (error) {
      if (!ctx.isCurrent()) return;
      const key = error instanceof ApiError ? topKey(error.field) : null;
      if (key === 'reason') showFieldError(reasonInput, reasonError, messageOf(error));
      else if (key === 'customer_id') showFieldError(customerInput, customerError, messageOf(error));
      else formError.textContent = messageOf(error);
      ctx.status(messageOf(error), 'error');
    } finally {
      addButton.disabled = false;
      ctx.setReady(true);
    }
  });

  await load();
}

// ---------- guardrails ----------

const GUARDRAIL_HELP = {
  shop_daily_cap: 'The most compensation one shop may give in a UTC day.',
  customer_30d_cap: 'The most compensation one customer may get in 30 days.',
};

export async function renderGuardrails(ctx) {
  const current = await get('/v1/platform/guardrails');
  if (!ctx.isCurrent()) return;
  const main = ctx.main;
  main.appendChild(el('h1', null, 'Guardrails'));
  main.appendChild(el('p', { class: 'lead' }, 'Spending caps the platform holds every decision to, on top of any policy. In minor units of the claim\'s currency (100000 is 1,000.00); empty means no cap.'));

  const keys = [...new Set(['shop_daily_cap', 'customer_30d_cap', ...Object.keys(current || {})])];
  const inputs = new Map();
  const form = el('form', { id: 'guardrails-form', class: 'card', novalidate: true });
  for (const key of keys) {
    const value = current ? current[key] : null;
    const id = `guardrail-${key}`;
    const input = el('input', {
      id, name: key, type: 'number', min: 0, step: 1, inputmode: 'numeric',
      value: value === null || value === undefined ? '' : String(value),
    });
    const hint = el('span', { class: 'hint', id: `${id}-major` });
    const updateHint = () => {
      const n = Number(input.value);
      hint.textContent = input.value === '' ? 'No cap.' : (Number.isFinite(n) ? `= ${formatMoney(n)} in major units.` : '');
    };
    input.addEventListener('input', updateHint);
    updateHint();
    inputs.set(key, input);
    const node = field({ id, label: words(key).replace(/^./, (c) => c.toUpperCase()), control: input, help: GUARDRAIL_HELP[key] || 'A cap in minor units.', errorId: `error-${key}` });
    node.insertBefore(hint, node.querySelector('.field-error'));
    form.appendChild(node);
  }
  const formError = el('p', { class: 'error-text', id: 'guardrails-error', role: 'alert' });
  const save = el('button', { type: 'submit', id: 'guardrails-save' }, 'Save guardrails');
  form.append(formError, el('div', { class: 'actions' }, save));
  main.appendChild(form);

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    formError.textContent = '';
    const body = {};
    let bad = null;
    for (const [key, input] of inputs) {
      const errorEl = document.getElementById(`error-${key}`);
      showFieldError(input, errorEl, '');
      if (input.validity && input.validity.badInput) {
        showFieldError(input, errorEl, 'Enter a whole number of minor units, or leave it empty for no cap.');
        bad = bad || input;
        continue;
      }
      const text = input.value.trim();
      if (text === '') {
        body[key] = null;
        continue;
      }
      const n = Number(text);
      if (!Number.isInteger(n) || n < 0) {
        showFieldError(input, errorEl, 'Enter a whole number of minor units, 0 or more, or leave it empty for no cap.');
        bad = bad || input;
        continue;
      }
      body[key] = n;
    }
    if (bad) {
      bad.focus();
      formError.textContent = 'Fix the fields marked above.';
      return;
    }
    save.disabled = true;
    ctx.setReady(false);
    try {
      const saved = await put('/v1/platform/guardrails', body);
      if (!ctx.isCurrent()) return;
      for (const [key, input] of inputs) {
        const v = saved ? saved[key] : body[key];
        input.value = v === null || v === undefined ? '' : String(v);
        input.dispatchEvent(new Event('input'));
      }
      ctx.status('Guardrails saved. They apply from the next decision.', 'success');
    } catch (error) {
      if (!ctx.isCurrent()) return;
      const key = error instanceof ApiError ? topKey(error.field) : null;
      const input = key ? inputs.get(key) : null;
      if (input) {
        showFieldError(input, document.getElementById(`error-${key}`), messageOf(error));
        input.focus();
      } else {
        formError.textContent = messageOf(error);
      }
      ctx.status(messageOf(error), 'error');
    } finally {
      save.disabled = false;
      ctx.setReady(true);
    }
  });
}
