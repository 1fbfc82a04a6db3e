// The console's entry: session, hash routing, the shell (nav, sign-out, status).

import { el, clear } from './dom.js';
import { get, getToken, clearToken, onUnauthorized, ApiError } from './api.js';
import { shopHash } from './routes.js';
import * as signin from './pages/signin.js';
import * as overview from './pages/overview.js';
import * as settings from './pages/settings.js';
import * as decisions from './pages/decisions.js';
import * as decision from './pages/decision.js';
import * as backtests from './pages/backtests.js';
import * as insights from './pages/insights.js';
import * as platform from './pages/platform.js';

const UNAUTHORIZED_MESSAGE = 'Your token was not accepted. Sign in again.';
const MARKETPLACE_MESSAGE = 'This token can only ask for decisions; sign in with a seller or operator token.';
const SHOP_KEY = 'arbiter.shop';

const ROUTES = [
  { path: ['signin'], page: 'signin', render: signin.render, public: true },
  { path: ['shops', ':shop', 'overview'], page: 'overview', render: overview.render },
  { path: ['shops', ':shop', 'settings'], page: 'settings', render: settings.render },
  { path: ['shops', ':shop', 'decisions'], page: 'decisions', render: decisions.render },
  { path: ['shops', ':shop', 'decisions', ':id'], page: 'decision', render: decision.render },
  { path: ['shops', ':shop', 'backtests'], page: 'backtests', render: backtests.renderList },
  { path: ['shops', ':shop', 'backtests', ':id'], page: 'backtest', render: backtests.renderOne },
  { path: ['shops', ':shop', 'insights'], page: 'insights', render: insights.renderShop },
  { path: ['platform', 'modules'], page: 'platform-modules', render: platform.renderModules, operator: true },
  { path: ['platform', 'audit'], page: 'platform-audit', render: platform.renderAudit, operator: true },
  { path: ['platform', 'fraud-list'], page: 'platform-fraud-list', render: platform.renderFraudList, operator: true },
  { path: ['platform', 'guardrails'], page: 'platform-guardrails', render: platform.renderGuardrails, operator: true },
  { path: ['platform', 'insights'], page: 'platform-insights', render: insights.renderPlatform, operator: true },
];

const SHOP_NAV = [
  ['overview', 'Overview'],
  ['settings', 'Settings'],
  ['decisions', 'Decisions'],
  ['backtests', 'Backtests'],
  ['insights', 'Insights'],
];

const PLATFORM_NAV = [
  ['platform-insights', 'Insights', '#/platform/insights'],
  ['platform-modules', 'Modules', '#/platform/modules'],
  ['platform-audit', 'Audit log', '#/platform/audit'],
  ['platform-fraud-list', 'Fraud list', '#/platform/fraud-list'],
  ['platform-guardrails', 'Guardrails', '#/platform/guardrails'],
];

const main = document.getElementById('page');
const nav = document.getElementById('nav');
const statusBox = document.getElementById('status');
const whoBox = document.getElementById('who');
const signOutButton = document.getElementById('sign-out');

const session = {
  who: null, // the /v1/whoami answer for the token in sessionStorage
  flash: null, // a message for the next page (the sign-in page shows it as its error)
  returnTo: null, // where a signed-out visitor was going
};

let generation = 0;
let cleanups = [];

// ---------- status ----------

export function setStatus(message, kind = 'info') {
  statusBox.textContent = message || '';
  statusBox.className = message ? `status-${kind}` : '';
}

// ---------- routing ----------

function parseHash() {
  const raw = (location.hash || '').replace(/^#/, '');
  const noQuery = raw.split('?')[0];
  const segments = noQuery.split('/').filter((s) => s !== '');
  try {
    return segments.map((s) => decodeURIComponent(s));
  } catch {
    return null;
  }
}

function match(segments) {
  if (!segments) return null;
  for (const route of ROUTES) {
    if (route.path.length !== segments.length) continue;
    const params = {};
    let ok = true;
    route.path.forEach((part, i) => {
      if (part.startsWith(':')) {
        if (segments[i] === '') ok = false;
        params[part.slice(1)] = segments[i];
      } else if (part !== segments[i]) {
        ok = false;
      }
    });
    if (ok) return { route, params };
  }
  return null;
}

export function navigate(hash) {
  if (location.hash === hash) {
    route();
  } else {
    location.hash = hash;
  }
}

function homeHash(who) {
  if (!who) return '#/signin';
  if (who.role === 'seller' && who.shop_id) return shopHash(who.shop_id, 'overview');
  if (who.role === 'operator') return '#/platform/insights';
  return '#/signin';
}

function currentShop(params) {
  if (session.who && session.who.role === 'seller') return session.who.shop_id;
  if (params && params.shop) return params.shop;
  try {
    return sessionStorage.getItem(SHOP_KEY);
  } catch {
    return null;
  }
}

// ---------- the shell ----------

function renderShell(pageName, params) {
  const who = session.who;
  clear(nav);
  if (!who || !getToken()) {
    nav.hidden = true;
    signOutButton.hidden = true;
    whoBox.textContent = '';
    return;
  }
  nav.hidden = false;
  signOutButton.hidden = false;
  whoBox.textContent = who.role === 'seller' ? `Seller · shop ${who.shop_id}` : 'Operator';

  const shop = currentShop(params);
  const link = (name, label, href) => el('a', {
    href,
    'data-nav': name,
    'aria-current': name === pageName || (name === 'decisions' && pageName === 'decision')
      || (name === 'backtests' && pageName === 'backtest') ? 'page' : null,
  }, label);

  if (who.role === 'operator') {
    const picker = el('input', {
      id: 'shop-picker', type: 'text', name: 'shop', autocomplete: 'off', spellcheck: 'false',
      placeholder: 'shop-42', value: shop || '',
    });
    const form = el('form', { class: 'shop-picker', novalidate: true },
      el('label', { for: 'shop-picker' }, 'Shop id'),
      el('div', { class: 'inline' }, picker, el('button', { type: 'submit', id: 'shop-go' }, 'Go')));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const id = picker.value.trim();
      if (!id) {
        setStatus('Type a shop id to open its pages.', 'error');
        picker.focus();
        return;
      }
      navigate(shopHash(id, 'overview'));
    });
    nav.appendChild(form);
  }
  if (shop) {
    nav.appendChild(el('div', { class: 'nav-group' },
      el('p', { class: 'nav-title' }, who.role === 'seller' ? 'Your shop' : `Shop ${shop}`),
      el('ul', null, SHOP_NAV.map(([name, label]) => el('li', null, link(name, label, shopHash(shop, name)))))));
  }
  if (who.role === 'operator') {
    nav.appendChild(el('div', { class: 'nav-group' },
      el('p', { class: 'nav-title' }, 'Platform'),
      el('ul', null, PLATFORM_NAV.map(([name, label, href]) => el('li', null, link(name, label, href))))));
  }
}

function setPage(name) {
  main.dataset.page = name;
}

function setReady(ready) {
  main.dataset.ready = ready ? 'true' : 'false';
  main.setAttribute('aria-busy', ready ? 'false' : 'true');
}

function runCleanups() {
  const list = cleanups;
  cleanups = [];
  for (const fn of list) {
    try {
      fn();
    } catch {
      // a cleanup that fails must not stop the next page
    }
  }
}

/** The not-found page, with the server's message as text. */
export function renderNotFound(message) {
  setPage('not-found');
  clear(main);
  main.appendChild(el('h1', null, 'Not found'));
  main.appendChild(el('p', { id: 'not-found-message' }, message || 'There is no such page.'));
  const home = homeHash(session.who);
  main.appendChild(el('p', null, el('a', { href: home }, session.who ? 'Back to the start' : 'Sign in')));
  setReady(true);
}

function renderError(error) {
  clear(main);
  main.appendChild(el('h1', null, 'Something went wrong'));
  main.appendChild(el('p', { class: 'error-text', id: 'page-error' }, messageOf(error)));
  main.appendChild(el('p', null, el('button', { type: 'button', onclick: () => route() }, 'Try again')));
  setReady(true);
}

export function messageOf(error) {
  if (error instanceof ApiError) return error.message;
  if (error && error.name === 'AbortError') return 'Cancelled.';
  return 'The console hit an unexpected problem. Reload the page and try again.';
}

async function loadWho() {
  session.who = await get('/v1/whoami');
  return session.who;
}

async function route() {
  generation += 1;
  const gen = generation;
  runCleanups();
  const segments = parseHash();
  setReady(false);
  // A new page starts at its top, not where the last one was scrolled to.
  window.scrollTo(0, 0);
  const flash = session.flash;
  session.flash = null;
  if (!flash) setStatus('');

  if (getToken() && !session.who) {
    clear(main);
    main.appendChild(el('p', { class: 'muted' }, 'Checking your token…'));
    try {
      await loadWho();
    } catch (error) {
      if (gen !== generation) return;
      if (error instanceof ApiError && error.status === 401) return; // handled: back to sign-in
      renderShell(null, null);
      setPage('not-found');
      renderError(error);
      return;
    }
    if (gen !== generation) return;
    if (session.who.role === 'marketplace') {
      clearToken();
      session.who = null;
      session.flash = { text: MARKETPLACE_MESSAGE, error: true };
      navigate('#/signin');
      return;
    }
  }

  if (segments && segments.length === 0) {
    session.flash = flash;
    navigate(getToken() ? homeHash(session.who) : '#/signin');
    return;
  }
  const found = match(segments);

  // Signed out: only the sign-in page.
  if (!getToken()) {
    session.who = null;
    if (!found || !found.route.public) {
      if (found) session.returnTo = location.hash;
      session.flash = flash;
      navigate('#/signin');
      return;
    }
  }

  if (found && found.route.public && session.who) {
    // Signed in already: the sign-in page leads home.
    const wanted = allowedReturn(session.returnTo);
    session.returnTo = null;
    navigate(wanted || homeHash(session.who));
    return;
  }

  const params = found ? found.params : {};
  if (found && params.shop && session.who && session.who.role === 'operator') {
    try {
      sessionStorage.setItem(SHOP_KEY, params.shop);
    } catch {
      // not kept
    }
  }
  renderShell(found ? found.route.page : null, params);

  if (!found) {
    renderNotFound('There is no such page in the console.');
    return;
  }
  if (found.route.operator && (!session.who || session.who.role !== 'operator')) {
    renderNotFound('This page is for operators only.');
    return;
  }

  setPage(found.route.page);
  clear(main);
  main.appendChild(el('p', { class: 'muted loading' }, 'Loading…'));

  const ctx = {
    main,
    params,
    who: session.who,
    flash,
    page: found.route.page,
    isCurrent: () => gen === generation,
    setReady: (ready) => {
      if (gen === generation) setReady(ready);
    },
    status: (message, kind) => {
      if (gen === generation) setStatus(message, kind);
    },
    navigate,
    onLeave: (fn) => cleanups.push(fn),
    /** Runs a long action with the page marked not ready. */
    async busy(fn) {
      ctx.setReady(false);
      try {
        return await fn();
      } finally {
        ctx.setReady(true);
      }
    },
    fail(error) {
      if (gen !== generation) return;
      if (error instanceof ApiError && error.status === 401) return;
      if (error instanceof ApiError && error.status === 404) {
        renderNotFound(error.message);
        return;
      }
      renderError(error);
    },
    notFound(message) {
      if (gen === generation) renderNotFound(message);
    },
  };

  try {
    clear(main);
    if (flash) setStatus(flash.text, flash.error ? 'error' : 'info');
    await found.route.render(ctx);
    if (gen === generation && main.dataset.page === found.route.page) {
      // A page that keeps working (a running backtest) sets ready itself.
      if (!ctx.keepBusy) setReady(true);
    }
  } catch (error) {
    if (gen !== generation) return;
    if (!(error instanceof ApiError)) console.warn('page failed', error); // eslint-disable-line no-console
    ctx.fail(error);
  }
}

// ---------- session events ----------

onUnauthorized(() => {
  if (!getToken()) return; // several requests failed at once: handled by the first
  if (!/^#\/signin/.test(location.hash)) session.returnTo = location.hash;
  clearToken();
  session.who = null;
  session.flash = { text: UNAUTHORIZED_MESSAGE, error: true };
  renderShell(null, null);
  navigate('#/signin');
});

signOutButton.addEventListener('click', () => {
  clearToken();
  session.who = null;
  session.returnTo = null;
  try {
    sessionStorage.removeItem(SHOP_KEY);
  } catch {
    // nothing kept
  }
  session.flash = { text: 'Signed out.', error: false };
  renderShell(null, null);
  navigate('#/signin');
});

/** Called by the sign-in page once a token is stored. */
export async function signedIn() {
  session.who = null;
  const wanted = session.returnTo && session.returnTo !== '#/signin' ? session.returnTo : null;
  session.returnTo = null;
  try {
    await loadWho();
  } catch (error) {
    clearToken();
    session.who = null;
    throw error;
  }
  if (session.who.role === 'marketplace') {
    clearToken();
    session.who = null;
    throw new ApiError(403, 'marketplace', MARKETPLACE_MESSAGE, null);
  }
  navigate(allowedReturn(wanted) || homeHash(session.who));
}

/** A remembered destination, if it is one the signed-in role may open. */
function allowedReturn(hash) {
  if (!hash || !session.who) return null;
  if (session.who.role === 'operator') return hash;
  if (session.who.role === 'seller') {
    const prefix = shopHash(session.who.shop_id, '');
    return hash.startsWith(prefix) ? hash : null;
  }
  return null;
}

window.addEventListener('hashchange', () => route());
route();
