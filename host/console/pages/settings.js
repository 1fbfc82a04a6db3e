// Settings: a form drawn from the active module's settings schema; preview (a backtest
// of the last 30 days) and save.

import { el, replace, jsonText, nowMinusDays, words } from '../dom.js';
import { get, put, post, path, ApiError } from '../api.js';
import { field, showFieldError, topKey, moduleInfo, effectiveModule, moduleLabel } from '../ui.js';
import { pollBacktest, progressView, summaryFacts, changesView } from '../report.js';
import { messageOf } from '../app.js';

// ---------- the schema ----------

function deref(schema, root, depth = 0) {
  if (!schema || typeof schema !== 'object' || depth > 16) return schema || {};
  if (typeof schema.$ref === 'string' && schema.$ref.startsWith('#/')) {
    const target = schema.$ref.slice(2).split('/').reduce((node, part) => (node ? node[part.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined), root);
    const { $ref, ...rest } = schema;
    return deref({ ...(target || {}), ...rest }, root, depth + 1);
  }
  if (Array.isArray(schema.allOf) && schema.allOf.length === 1) {
    const { allOf, ...rest } = schema;
    return deref({ ...deref(allOf[0], root, depth + 1), ...rest }, root, depth + 1);
  }
  for (const key of ['anyOf', 'oneOf']) {
    if (Array.isArray(schema[key])) {
      const branches = schema[key].map((b) => deref(b, root, depth + 1));
      const nonNull = branches.filter((b) => b.type !== 'null');
      if (nonNull.length === 1) {
        const { [key]: _drop, ...rest } = schema;
        return { ...nonNull[0], ...rest, nullable: nonNull.length < branches.length };
      }
    }
  }
  return schema;
}

function typeOf(schema) {
  let types = schema.type;
  if (!Array.isArray(types)) types = types ? [types] : [];
  const nullable = types.includes('null') || schema.nullable === true;
  const nonNull = types.filter((t) => t !== 'null');
  if (Array.isArray(schema.enum) && schema.enum.length) return { kind: 'enum', nullable: nullable || schema.enum.includes(null) };
  if (nonNull.length === 1) {
    const t = nonNull[0];
    if (t === 'integer' || t === 'number' || t === 'boolean' || t === 'string') return { kind: t, nullable };
  }
  return { kind: 'json', nullable };
}

function helpText(schema, kind) {
  const parts = [];
  if (schema.description) parts.push(String(schema.description));
  const range = [];
  if (typeof schema.minimum === 'number') range.push(`at least ${schema.minimum}`);
  if (typeof schema.exclusiveMinimum === 'number') range.push(`more than ${schema.exclusiveMinimum}`);
  if (typeof schema.maximum === 'number') range.push(`at most ${schema.maximum}`);
  if (typeof schema.exclusiveMaximum === 'number') range.push(`less than ${schema.exclusiveMaximum}`);
  if (range.length) parts.push(`${range.join(', ')}.`.replace(/^./, (c) => c.toUpperCase()));
  if (schema.default !== undefined) {
    const d = kind === 'boolean' ? (schema.default ? 'on' : 'off') : (typeof schema.default === 'object' ? jsonText(schema.default) : String(schema.default));
    parts.push(`Default: ${d}.`);
  }
  if (kind === 'json') parts.push('Written as JSON.');
  return parts.join(' ');
}

/** One field per property; returns {node, read(), setError(), clear()}. */
function buildField(key, rawSchema, root, value) {
  const schema = deref(rawSchema, root);
  const { kind, nullable } = typeOf(schema);
  const id = `setting-${key}`;
  const errorId = `error-${key}`;
  const label = schema.title ? String(schema.title) : words(key);
  const current = value !== undefined ? value : schema.default;
  let control;
  if (kind === 'boolean') {
    control = el('input', { id, name: key, type: 'checkbox', checked: Boolean(current) });
  } else if (kind === 'integer' || kind === 'number') {
    control = el('input', {
      id, name: key, type: 'number', inputmode: kind === 'integer' ? 'numeric' : 'decimal',
      step: kind === 'integer' ? '1' : 'any',
      min: typeof schema.minimum === 'number' ? schema.minimum : null,
      max: typeof schema.maximum === 'number' ? schema.maximum : null,
      value: current === null || current === undefined ? '' : String(current),
    });
  } else if (kind === 'enum') {
    control = el('select', { id, name: key });
    if (nullable || current === undefined) control.appendChild(el('option', { value: '' }, nullable ? '(none)' : '(default)'));
    schema.enum.filter((v) => v !== null).forEach((v, i) => {
      control.appendChild(el('option', { value: String(i), selected: v === current }, String(v)));
    });
  } else if (kind === 'string') {
    control = el('input', { id, name: key, type: 'text', value: current === null || current === undefined ? '' : String(current) });
  } else {
    control = el('textarea', { id, name: key, rows: 4, spellcheck: 'false' });
    control.value = current === undefined ? '' : JSON.stringify(current, null, 2);
  }
  const help = helpText(schema, kind);
  const wrapper = field({ id, label, control, help, errorId });
  if (kind === 'boolean') wrapper.classList.add('field-checkbox');
  const errorEl = wrapper.querySelector(`#${CSS.escape(errorId)}`);
  return {
    key,
    hasDefault: schema.default !== undefined,
    defaultValue: schema.default,
    node: wrapper,
    control,
    errorEl,
    setError(message) { showFieldError(control, errorEl, message); },
    /** -> {set: bool, value} or throws {message} */
    read() {
      if (kind === 'boolean') return { set: true, value: control.checked };
      if (kind === 'integer' || kind === 'number') {
        if (control.validity && control.validity.badInput) throw new Error('Enter a number.');
        if (control.value.trim() === '') return nullable ? { set: true, value: null } : { set: false };
        const n = Number(control.value);
        if (!Number.isFinite(n)) throw new Error('Enter a number.');
        if (kind === 'integer' && !Number.isInteger(n)) throw new Error('Enter a whole number.');
        return { set: true, value: n };
      }
      if (kind === 'enum') {
        if (control.value === '') return nullable ? { set: true, value: null } : { set: false };
        return { set: true, value: schema.enum.filter((v) => v !== null)[Number(control.value)] };
      }
      if (kind === 'string') {
        if (control.value === '' && value === undefined) return nullable ? { set: true, value: null } : { set: false };
        return { set: true, value: control.value };
      }
      if (control.value.trim() === '') return { set: false };
      try {
        return { set: true, value: JSON.parse(control.value) };
      } catch {
        throw new Error('Enter valid JSON.');
      }
    },
  };
}

// ---------- the page ----------

export async function render(ctx) {
  const shop = ctx.params.shop;
  const [current, policy] = await Promise.all([
    get(path`/v1/shops/${shop}/settings`),
    get(path`/v1/shops/${shop}/policy`),
  ]);
  if (!ctx.isCurrent()) return;
  const digest = effectiveModule(policy, policy.active.module);
  let module = null;
  let moduleError = null;
  try {
    module = digest ? await moduleInfo(digest) : null;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) throw error;
    moduleError = error;
  }
  if (!ctx.isCurrent()) return;

  const values = (current && current.settings) || {};
  const main = ctx.main;
  main.appendChild(el('h1', null, `Settings · ${shop}`));
  main.appendChild(el('p', { class: 'lead' },
    'The active policy module checks these values before they are stored. Amounts are in minor units (50000 RUB is 500.00 RUB); windows are whole days.'));

  const versionText = el('p', { id: 'settings-version', class: 'version-tag' }, `Version ${current.version}`);
  main.appendChild(el('div', { class: 'module-line' },
    versionText,
    el('p', { class: 'muted' }, `Module: ${moduleLabel(module, digest)}`)));

  const schemaRoot = module && module.settings_schema && typeof module.settings_schema === 'object' ? module.settings_schema : null;
  const properties = schemaRoot ? (deref(schemaRoot, schemaRoot).properties || {}) : {};
  const fields = [];
  const form = el('form', { id: 'settings-form', class: 'card settings-form', novalidate: true });
  const formError = el('p', { id: 'settings-error', class: 'error-text', role: 'alert' });
  let rawJson = null;

  if (Object.keys(properties).length) {
    for (const [key, prop] of Object.entries(properties)) {
      const f = buildField(key, prop, schemaRoot, values[key]);
      fields.push(f);
      form.appendChild(f.node);
    }
  } else {
    // No schema to draw from: edit the settings as JSON.
    form.appendChild(el('p', { class: 'muted' }, moduleError
      ? `The module's settings description could not be read (${messageOf(moduleError)}); edit the settings as JSON.`
      : 'This module does not describe its settings; edit them as JSON.'));
    rawJson = el('textarea', { id: 'settings-json', name: 'settings', rows: 10, spellcheck: 'false' });
    rawJson.value = JSON.stringify(values, null, 2);
    form.appendChild(field({ id: 'settings-json', label: 'Settings (JSON object)', control: rawJson, errorId: 'error-settings-json' }));
  }

  const previewButton = el('button', { type: 'button', id: 'preview', class: 'secondary' }, 'Preview on the last 30 days');
  const saveButton = el('button', { type: 'submit', id: 'save' }, 'Save');
  form.append(formError, el('div', { class: 'actions' }, saveButton, previewButton));
  main.appendChild(form);

  const previewPanel = el('section', { id: 'preview-panel', class: 'card', 'aria-labelledby': 'preview-title', hidden: true },
    el('h2', { id: 'preview-title' }, 'Preview'));
  const previewBody = el('div', { id: 'preview-body' });
  const previewResult = el('div', { id: 'preview-result' });
  previewPanel.append(previewBody, previewResult);
  main.appendChild(previewPanel);

  const clearErrors = () => {
    formError.textContent = '';
    for (const f of fields) f.setError('');
    if (rawJson) showFieldError(rawJson, document.getElementById('error-settings-json'), '');
  };

  /** The edited settings, or null after showing the errors at their fields. */
  const collect = () => {
    clearErrors();
    if (rawJson) {
      try {
        const parsed = JSON.parse(rawJson.value || '{}');
        if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('x');
        return parsed;
      } catch {
        showFieldError(rawJson, document.getElementById('error-settings-json'), 'Enter a JSON object, like {"promo_max": 50000}.');
        rawJson.focus();
        return null;
      }
    }
    const out = {};
    // Keys the schema does not show are kept as they are.
    for (const [k, v] of Object.entries(values)) if (!(k in properties)) out[k] = v;
    let firstBad = null;
    for (const f of fields) {
      try {
        const r = f.read();
        // A value the shop never set that equals the default stays out: keys left out
        // take the policy's defaults, and the stored settings stay short.
        const isDefault = f.hasDefault && JSON.stringify(r.value) === JSON.stringify(f.defaultValue);
        if (r.set && ((f.key in values) || !isDefault)) out[f.key] = r.value;
      } catch (e) {
        f.setError(e.message);
        if (!firstBad) firstBad = f;
      }
    }
    if (firstBad) {
      formError.textContent = 'Fix the fields marked above.';
      firstBad.control.focus();
      return null;
    }
    return out;
  };

  /** A server refusal shown at the field it names. */
  const showServerError = (error) => {
    const message = messageOf(error);
    const key = error instanceof ApiError ? topKey(error.field) : null;
    const f = key ? fields.find((x) => x.key === key) : null;
    if (f) {
      f.setError(message);
      f.control.focus();
      formError.textContent = `Not saved: ${words(key)} was refused.`;
    } else if (rawJson && error instanceof ApiError && (error.status === 422 || error.status === 400)) {
      showFieldError(rawJson, document.getElementById('error-settings-json'), message);
      formError.textContent = message;
    } else {
      formError.textContent = message;
    }
    ctx.status(message, 'error');
  };

  let working = false;

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (working) return;
    const settings = collect();
    if (!settings) return;
    working = true;
    saveButton.disabled = true;
    previewButton.disabled = true;
    saveButton.textContent = 'Saving…';
    ctx.setReady(false);
    ctx.status('Saving the settings…');
    try {
      const saved = await put(path`/v1/shops/${shop}/settings`, settings);
      if (!ctx.isCurrent()) return;
      versionText.textContent = `Version ${saved.version}`;
      ctx.status(`Settings saved as version ${saved.version}. The next decision uses them.`, 'success');
    } catch (error) {
      if (!ctx.isCurrent()) return;
      showServerError(error);
    } finally {
      working = false;
      saveButton.disabled = false;
      previewButton.disabled = false;
      saveButton.textContent = 'Save';
      ctx.setReady(true);
    }
  });

  previewButton.addEventListener('click', async () => {
    if (working) return;
    const settings = collect();
    if (!settings) return;
    working = true;
    saveButton.disabled = true;
    previewButton.disabled = true;
    ctx.setReady(false);
    previewPanel.hidden = false;
    replace(previewResult);
    const progress = progressView('preview-progress', 'Replaying the last 30 days');
    replace(previewBody, progress.box);
    ctx.status('Preview started: replaying the last 30 days of decisions with these settings…');
    try {
      const started = await post(path`/v1/shops/${shop}/backtests`, {
        module: null, settings, from: nowMinusDays(30), to: null,
      });
      if (!ctx.isCurrent()) return;
      progress.update(started.progress);
      const bt = await pollBacktest(ctx, started.backtest_id, (b) => progress.update(b.progress));
      if (!bt) return;
      if (bt.status === 'failed') {
        replace(previewResult, el('p', { class: 'error-text' }, `The preview failed: ${bt.error || 'no reason given'}.`));
        ctx.status('The preview failed.', 'error');
      } else {
        const report = bt.report || {};
        replace(previewResult,
          summaryFacts(report, 'preview'),
          el('h3', null, 'Decisions that would change'),
          changesView(ctx, { tableId: 'preview-changes', prefix: 'preview', shop, backtestId: bt.backtest_id, report }));
        ctx.status(`Preview done: ${report.decisions ?? 0} decisions replayed, ${report.changed ?? 0} would change. Nothing was saved.`, 'success');
      }
    } catch (error) {
      if (!ctx.isCurrent()) return;
      replace(previewBody);
      previewPanel.hidden = true;
      showServerError(error);
    } finally {
      if (ctx.isCurrent()) {
        working = false;
        saveButton.disabled = false;
        previewButton.disabled = false;
        ctx.setReady(true);
      }
    }
  });
}
