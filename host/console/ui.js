// Shared page pieces: in-page confirmation, form fields, pagers, error placement.

import { el, uniqueId } from './dom.js';
import { get, path } from './api.js';

/**
 * An in-page confirmation (not window.confirm) placed in `container`: resolves true on
 * "yes", false on "no" or Escape.
 */
export function confirmInPage(container, { title, message, yes = 'Yes', no = 'Cancel' }) {
  for (const old of document.querySelectorAll('.confirm')) old.remove();
  return new Promise((resolve) => {
    const titleId = uniqueId('confirm-title');
    const textId = uniqueId('confirm-text');
    const opener = document.activeElement;
    const box = el('div', {
      class: 'confirm card', role: 'alertdialog', 'aria-modal': 'false',
      'aria-labelledby': titleId, 'aria-describedby': textId,
    },
    el('h2', { id: titleId }, title),
    el('p', { id: textId }, message));
    const done = (answer) => {
      box.remove();
      if (opener && opener.isConnected && typeof opener.focus === 'function') opener.focus();
      resolve(answer);
    };
    const yesButton = el('button', { type: 'button', id: 'confirm-yes', onclick: () => done(true) }, yes);
    const noButton = el('button', { type: 'button', id: 'confirm-no', class: 'secondary', onclick: () => done(false) }, no);
    box.appendChild(el('div', { class: 'actions' }, yesButton, noButton));
    box.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') {
        event.preventDefault();
        done(false);
      }
    });
    container.appendChild(box);
    yesButton.focus();
  });
}

/** A labelled field: label, control, help and an (empty) error element. */
export function field({ id, label, control, help, errorId }) {
  const helpId = help ? `${id}-help` : null;
  const errId = errorId || `${id}-error`;
  const describedBy = [helpId, errId].filter(Boolean).join(' ');
  control.setAttribute('aria-describedby', describedBy);
  return el('div', { class: 'field' },
    el('label', { for: id }, label),
    control,
    help ? el('p', { class: 'help', id: helpId }, help) : null,
    el('p', { class: 'field-error', id: errId, 'aria-live': 'polite' }));
}

export function showFieldError(input, errorEl, message) {
  if (errorEl) errorEl.textContent = message || '';
  if (input) {
    if (message) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
  }
}

/** A Previous/Next (or Newer/Older) pager. */
export function pager({ prevId, nextId, prevLabel, nextLabel, onPrev, onNext, hasPrev, hasNext, info }) {
  const prev = el('button', { type: 'button', id: prevId, class: 'secondary', disabled: !hasPrev, onclick: onPrev }, prevLabel);
  const next = el('button', { type: 'button', id: nextId, class: 'secondary', disabled: !hasNext, onclick: onNext }, nextLabel);
  return el('div', { class: 'pager' }, prev, info ? el('span', { class: 'pager-info' }, info) : null, next);
}

/** The top-level key of a field path: "a.b" -> "a", "items[0].x" -> "items". */
export function topKey(fieldPath) {
  if (!fieldPath) return null;
  return String(fieldPath).split(/[.[]/)[0];
}

// ---------- modules ----------

const moduleCache = new Map();

/** GET /v1/modules/{digest}, remembered for the session. */
export async function moduleInfo(digest) {
  if (!digest) return null;
  if (!moduleCache.has(digest)) {
    const promise = get(path`/v1/modules/${digest}`).catch((error) => {
      moduleCache.delete(digest);
      throw error;
    });
    moduleCache.set(digest, promise);
  }
  return moduleCache.get(digest);
}

export function forgetModules() {
  moduleCache.clear();
}

/**
 * The digest of the module a shop version runs: its own, or (null) the platform's
 * default compensation policy. Operators read that policy; otherwise the built-in
 * compensation module is assumed.
 */
// The module a version runs: its own, or (naming none) the platform's compensation
// module, which the policy answer names as `platform_module`.
export function effectiveModule(policy, digest) {
  return digest || (policy && policy.platform_module) || null;
}

export function moduleLabel(module, digest) {
  if (!module) return digest ? String(digest) : 'the platform default';
  return `${module.name} ${module.version}`;
}
