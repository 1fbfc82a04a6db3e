// Sign-in: paste a token; it is kept in sessionStorage only.

import { el } from '../dom.js';
import { setToken, clearToken } from '../api.js';
import { signedIn, messageOf } from '../app.js';

export async function render(ctx) {
  const input = el('input', {
    id: 'token', type: 'password', name: 'token', autocomplete: 'off', spellcheck: 'false',
    required: true, 'aria-describedby': 'token-help signin-error',
  });
  const error = el('p', { id: 'signin-error', class: 'error-text', role: 'alert' },
    ctx.flash && ctx.flash.error ? ctx.flash.text : '');
  const button = el('button', { type: 'submit', id: 'sign-in' }, 'Sign in');
  const form = el('form', { class: 'card signin', id: 'signin-form', novalidate: true },
    el('div', { class: 'field' },
      el('label', { for: 'token' }, 'Access token'),
      input,
      el('p', { id: 'token-help', class: 'help' },
        'Paste a seller or operator API token. It stays in this browser tab only and is forgotten when you sign out or close the tab.')),
    error,
    el('div', { class: 'actions' }, button));

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const token = input.value.trim();
    if (!token) {
      error.textContent = 'Paste your access token.';
      input.setAttribute('aria-invalid', 'true');
      input.focus();
      return;
    }
    input.removeAttribute('aria-invalid');
    error.textContent = '';
    button.disabled = true;
    button.textContent = 'Signing in…';
    ctx.setReady(false);
    setToken(token);
    try {
      await signedIn();
    } catch (e) {
      clearToken();
      if (!ctx.isCurrent()) return;
      error.textContent = messageOf(e);
      input.setAttribute('aria-invalid', 'true');
      button.disabled = false;
      button.textContent = 'Sign in';
      ctx.setReady(true);
      input.focus();
    }
  });

  ctx.main.append(
    el('h1', null, 'Sign in to the Arbiter console'),
    el('p', { class: 'lead' }, 'See how your claims were decided, tune your policy and try changes on past claims before they go live.'),
    form,
  );
  queueMicrotask(() => input.focus());
}
