// Overview: the active policy, any candidate with its live figures, the version history,
// rollback and promote.

import { el, facts, table, formatTime, formatMoneyMap, formatMoney, formatPercent, shortDigest, jsonText, words } from '../dom.js';
import { get, post, path, ApiError } from '../api.js';
import { confirmInPage, moduleInfo, effectiveModule, moduleLabel } from '../ui.js';
import { messageOf } from '../app.js';

async function safeModule(digest) {
  try {
    return await moduleInfo(digest);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) throw error;
    return null;
  }
}

function settingsText(settings) {
  const entries = Object.entries(settings || {});
  if (entries.length === 0) return 'defaults';
  return entries.map(([k, v]) => `${k}: ${typeof v === 'object' ? jsonText(v) : v}`).join(', ');
}

function moneyPerClaim(map) {
  const entries = Object.entries(map || {});
  if (entries.length === 0) return 'none';
  return entries.map(([cur, v]) => formatMoney(Math.round(Number(v) || 0), cur)).join(', ');
}

function figureRows(columns) {
  const metric = (label, fn) => [label, ...columns.map((f) => (f ? fn(f) : '—'))];
  return [
    metric('Decisions', (f) => String(f.decisions ?? 0)),
    metric('Escalations', (f) => `${f.escalations ?? 0} (${formatPercent(f.escalation_rate)})`),
    metric('Module failures', (f) => `${f.failures ?? 0} (${formatPercent(f.failure_rate)})`),
    metric('Feedback received', (f) => String(f.feedback ?? 0)),
    metric('Overridden', (f) => `${f.overrides ?? 0} (${formatPercent(f.override_rate)})`),
    metric('Money given', (f) => formatMoneyMap(f.money)),
    metric('Money per claim', (f) => moneyPerClaim(f.money_per_claim)),
  ];
}

function describeMode(candidate) {
  const rollout = candidate.rollout;
  switch (candidate.mode) {
    case 'shadow': return 'Shadow: runs beside the active version on every claim; its answers are only recorded.';
    case 'canary': return `Canary: serves ${candidate.canary_percent ?? '?'}% of claims.`;
    case 'progressive': {
      if (rollout && Array.isArray(rollout.steps)) {
        return `Progressive: step ${Number(rollout.step ?? 0) + 1} of ${rollout.steps.length}, serving ${rollout.percent ?? candidate.canary_percent ?? '?'}% of claims (steps ${rollout.steps.join('%, ')}%).`;
      }
      return `Progressive: serving ${candidate.canary_percent ?? '?'}% of claims.`;
    }
    default: return words(candidate.mode);
  }
}

function endingText(ending) {
  if (!ending || typeof ending !== 'object') return '';
  return Object.entries(ending).map(([k, v]) => `${words(k)}: ${typeof v === 'object' ? jsonText(v) : v}`).join('; ');
}

export async function render(ctx) {
  const shop = ctx.params.shop;
  const optional = (promise) => promise.catch((error) => {
    if (error instanceof ApiError && error.status === 401) throw error;
    return null;
  });
  const [policy, versionsBody, feedback, rollouts] = await Promise.all([
    get(path`/v1/shops/${shop}/policy`),
    get(path`/v1/shops/${shop}/policy/versions`),
    optional(get(path`/v1/shops/${shop}/feedback`)),
    optional(get(path`/v1/shops/${shop}/rollouts`)),
  ]);
  if (!ctx.isCurrent()) return;
  const active = policy.active;
  const candidate = policy.candidate;
  const activeDigest = effectiveModule(policy, active.module);
  const activeModule = await safeModule(activeDigest);
  const candidateModule = candidate ? await safeModule(candidate.module) : null;
  if (!ctx.isCurrent()) return;

  const main = ctx.main;
  main.appendChild(el('h1', null, `Overview · ${shop}`));

  // ----- the active policy -----
  main.appendChild(el('section', { class: 'card', 'aria-labelledby': 'active-title' },
    el('h2', { id: 'active-title' }, 'Active policy'),
    facts([
      ['Module', el('span', { id: 'active-module' },
        moduleLabel(activeModule, activeDigest),
        el('br'),
        el('code', { class: 'digest' }, activeDigest || 'platform default'),
        active.module ? null : el('span', { class: 'muted' }, ' (the platform default)'))],
      ['Settings version', el('span', { id: 'active-settings-version' }, `Version ${active.version}`)],
      ['Settings', el('span', { class: 'settings-text' }, settingsText(active.settings))],
      ['Set by', active.version === 0 ? 'the platform' : (active.created_by || '—')],
      ['Since', active.version === 0 ? 'always (never changed)' : formatTime(active.created_at)],
    ])));

  // ----- the candidate -----
  const candidateSection = el('section', { class: 'card', 'aria-labelledby': 'candidate-title' },
    el('h2', { id: 'candidate-title' }, 'Candidate'));
  if (candidate) {
    const rollout = candidate.rollout;
    candidateSection.appendChild(facts([
      ['Mode', el('span', { id: 'candidate-mode' }, describeMode(candidate))],
      ['Module', el('span', { id: 'candidate-module' }, moduleLabel(candidateModule, candidate.module), el('br'),
        el('code', { class: 'digest' }, candidate.module || 'platform default'))],
      ['Version', `Version ${candidate.version}`],
      ['Settings', el('span', { class: 'settings-text' }, settingsText(candidate.settings))],
      ['Started', `${formatTime((rollout && rollout.started_at) || candidate.created_at)} by ${(rollout && rollout.started_by) || candidate.created_by || '—'}`],
    ]));
    const figures = rollout && rollout.figures;
    const headers = ['Figure', `Active (version ${active.version})`, `Candidate (version ${candidate.version})`];
    let columns = [figures && figures.total ? figures.total.active : null, figures && figures.total ? figures.total.candidate : null];
    if (figures && figures.step && candidate.mode === 'progressive') {
      headers.push('Active, this step', 'Candidate, this step');
      columns = columns.concat([figures.step.active, figures.step.candidate]);
    }
    candidateSection.appendChild(el('h3', null, 'Live figures'));
    if (!figures) {
      candidateSection.appendChild(el('p', { class: 'muted' }, 'No figures yet: the rollout has not decided any claims.'));
    }
    candidateSection.appendChild(table({ id: 'rollout-figures' }, headers, figureRows(columns),
      { caption: 'The candidate beside the active version over the rollout so far' }));
    if (figures && figures.judged_against && figures.judged_against.over) {
      candidateSection.appendChild(el('p', { class: 'help' },
        `The current step is judged against the active version over the ${figures.judged_against.over}.`));
    }
  } else {
    candidateSection.appendChild(el('p', { id: 'no-candidate', class: 'muted' },
      'No candidate: nothing runs in shadow, canary or progressive mode. Start one with `arbiter policy set --mode shadow`.'));
  }
  main.appendChild(candidateSection);

  if (policy.last_rollout) {
    const last = policy.last_rollout;
    main.appendChild(el('section', { class: 'card', 'aria-labelledby': 'last-rollout-title' },
      el('h2', { id: 'last-rollout-title' }, 'Last rollout'),
      el('p', { id: 'last-rollout' },
        `Version ${last.candidate_version} (${words(last.mode)}) ${words(last.status)}${last.ended_at ? ` at ${formatTime(last.ended_at)}` : ''}.`),
      last.ending ? el('p', { class: 'help' }, endingText(last.ending)) : null));
  }

  // ----- actions -----
  const versions = (versionsBody.versions || []).slice().sort((a, b) => a.version - b.version);
  // The previous version is the newest earlier one that served as the active version: a
  // shadow, canary or progressive candidate that was never promoted is skipped.
  const neverActive = new Set(((rollouts && rollouts.rollouts) || [])
    .filter((r) => r.status !== 'promoted')
    .map((r) => r.candidate_version));
  const earlier = versions.filter((v) => v.version < active.version && !neverActive.has(v.version)).map((v) => v.version);
  const previous = earlier.length ? Math.max(...earlier) : 0;
  const actions = el('section', { class: 'card', 'aria-labelledby': 'actions-title' },
    el('h2', { id: 'actions-title' }, 'Change what runs'));
  const confirmSlot = el('div', { class: 'confirm-slot' });
  const rollbackButton = el('button', { type: 'button', id: 'rollback', class: 'danger', disabled: active.version === 0 },
    active.version === 0 ? 'Roll back (already on the platform default)' : `Roll back to version ${previous}`);
  const buttons = el('div', { class: 'actions' }, rollbackButton);
  let promoteButton = null;
  if (candidate) {
    promoteButton = el('button', { type: 'button', id: 'promote' }, `Promote the candidate (version ${candidate.version})`);
    buttons.appendChild(promoteButton);
  }
  actions.append(buttons, confirmSlot);
  main.appendChild(actions);

  const act = async (button, { title, message, yes, run, done }) => {
    const ok = await confirmInPage(confirmSlot, { title, message, yes });
    if (!ok || !ctx.isCurrent()) return;
    button.disabled = true;
    ctx.setReady(false);
    ctx.status('Working…');
    try {
      await run();
      if (!ctx.isCurrent()) return;
      // Reload the page's data, then say what happened.
      ctx.main.replaceChildren();
      await render(ctx);
      if (!ctx.isCurrent()) return;
      ctx.status(done, 'success');
      ctx.setReady(true);
    } catch (error) {
      if (!ctx.isCurrent()) return;
      button.disabled = false;
      ctx.status(messageOf(error), 'error');
      ctx.setReady(true);
    }
  };

  rollbackButton.addEventListener('click', () => act(rollbackButton, {
    title: `Roll back to version ${previous}?`,
    message: previous === 0
      ? 'The platform default policy becomes active again for this shop. Any candidate is dropped.'
      : `Version ${previous} becomes active again for the next decision. Any candidate is dropped; no version is added.`,
    yes: `Roll back to version ${previous}`,
    run: () => post(path`/v1/shops/${shop}/policy/rollback`, { to: previous }),
    done: `Rolled back: version ${previous} is active again.`,
  }));
  if (promoteButton) {
    promoteButton.addEventListener('click', () => act(promoteButton, {
      title: `Promote version ${candidate.version}?`,
      message: `The ${words(candidate.mode)} candidate (version ${candidate.version}) becomes the active version and serves every claim from the next decision.`,
      yes: 'Promote',
      run: () => post(path`/v1/shops/${shop}/policy/promote`),
      done: `Promoted: version ${candidate.version} is now active.`,
    }));
  }

  // ----- version history -----
  // Feedback is counted per module and settings version; a version's row sums its own.
  const feedbackByVersion = new Map();
  for (const f of (feedback && feedback.versions) || []) {
    const sum = feedbackByVersion.get(f.settings_version) || { decisions: 0, feedback: 0, overridden: 0 };
    sum.decisions += f.decisions || 0;
    sum.feedback += f.feedback || 0;
    sum.overridden += f.overridden || 0;
    feedbackByVersion.set(f.settings_version, sum);
  }
  const rows = versions.slice().reverse().map((v) => {
    const state = v.version === active.version ? 'active' : (candidate && v.version === candidate.version ? `candidate (${words(candidate.mode)})` : '');
    const fb = feedbackByVersion.get(v.version);
    return [
      String(v.version),
      el('span', null, v.module ? shortDigest(v.module) : 'platform default'),
      el('span', { class: 'settings-text' }, settingsText(v.settings)),
      v.created_by || '—',
      formatTime(v.created_at),
      fb ? `${fb.decisions} decided${fb.feedback ? `, ${formatPercent(fb.overridden / fb.feedback)} of ${fb.feedback} overridden` : ''}` : '—',
      state ? el('span', { class: ['badge', state === 'active' ? 'badge-ok' : 'badge-info'] }, state) : '',
    ];
  });
  main.appendChild(el('section', { class: 'card', 'aria-labelledby': 'versions-title' },
    el('h2', { id: 'versions-title' }, 'Version history'),
    rows.length === 0
      ? el('p', { class: 'muted' }, 'No versions yet: the shop runs the platform default (version 0).')
      : null,
    table({ id: 'versions', class: 'stack-narrow' }, ['Version', 'Module', 'Settings', 'Set by', 'When', 'Decisions', 'State'], rows)));
}
