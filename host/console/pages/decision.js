// One decision explained: outcome, actions, reasons, the claim's items, the history the
// policies saw, fraud signals, the module and settings, feedback and guest output.

import { el, facts, table, formatTime, formatMoney, formatMoneyMap, words, describeAction, reasonList, outcomeBadge, jsonText, shortDigest } from '../dom.js';
import { get, path, ApiError } from '../api.js';
import { moduleInfo } from '../ui.js';
import { decisionHash, shopHash } from '../routes.js';

function section(id, title, ...children) {
  const titleId = `${id}-title`;
  return el('section', { class: 'card', 'aria-labelledby': titleId }, el('h2', { id: titleId }, title), ...children);
}

function yesNo(v) {
  if (v === true) return 'yes';
  if (v === false) return 'no';
  return 'not known';
}

function answer(v) {
  if (v === null || v === undefined) return 'no answer';
  return words(v);
}

function settingsList(settings) {
  const entries = Object.entries(settings || {});
  if (entries.length === 0) return el('span', { class: 'muted' }, 'defaults');
  return el('ul', { class: 'plain' }, entries.map(([k, v]) => el('li', null, `${k}: ${typeof v === 'object' ? jsonText(v) : v}`)));
}

async function moduleName(digest) {
  if (!digest) return 'platform default';
  try {
    const m = await moduleInfo(digest);
    return `${m.name} ${m.version}`;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) throw error;
    return shortDigest(digest);
  }
}

export async function render(ctx) {
  const { shop, id } = ctx.params;
  const x = await get(path`/v1/decisions/${id}`);
  if (!ctx.isCurrent()) return;
  const d = x.decision || {};
  const req = x.request || {};
  if (req.shop_id && req.shop_id !== shop) {
    ctx.notFound(`Decision ${id} is not one of shop ${shop}'s decisions.`);
    return;
  }
  const policy = x.policy || {};
  const [policyName, fraudName] = await Promise.all([
    moduleName(policy.module || (d.policy && d.policy.module)),
    moduleName(policy.fraud_screen && policy.fraud_screen.module),
  ]);
  if (!ctx.isCurrent()) return;
  const currency = req.order && req.order.currency;

  const main = ctx.main;
  main.appendChild(el('p', { class: 'breadcrumb' }, el('a', { href: shopHash(shop, 'decisions') }, '← All decisions')));
  main.appendChild(el('h1', null, `Claim ${d.claim_id ?? req.claim_id ?? ''}, revision ${d.revision ?? req.revision ?? ''}`));

  // ----- the decision -----
  const actions = d.actions || [];
  main.appendChild(section('decision-summary', 'Decision',
    facts([
      ['Outcome', el('span', { id: 'decision-outcome' }, outcomeBadge(d.outcome))],
      ['Risk', words(d.risk)],
      ['Who pays', d.payer ? words(d.payer) : 'no money moves'],
      ['Answer expected in', d.eta_days === null || d.eta_days === undefined ? '—' : `${d.eta_days} days`],
      ['Decided', formatTime(x.decided_at)],
      ['Decision id', el('code', null, d.decision_id || id)],
      ['Time taken', typeof x.latency_us === 'number' ? `${(x.latency_us / 1000).toFixed(1)} ms` : '—'],
    ]),
    el('h3', null, 'Actions'),
    actions.length
      ? el('ul', { id: 'decision-actions', class: 'plain' }, actions.map((a) => el('li', null, describeAction(a))))
      : el('p', { id: 'decision-actions', class: 'muted' }, 'No actions.'),
    el('h3', null, 'Why'),
    reasonList(d.reasons, { id: 'decision-reasons' }),
    d.fallback_applied || x.failure
      ? el('div', { class: 'callout callout-bad', id: 'decision-failure' },
        el('p', null, `The module failed (${words(x.failure || d.failure || 'unknown')}); the fallback decided.`),
        x.failure_detail ? el('p', null, String(x.failure_detail)) : null)
      : null));

  // ----- the claim -----
  const order = req.order || {};
  const items = req.items || [];
  const evidence = req.evidence || {};
  const confirmations = req.confirmations || {};
  const reply = req.customer_reply || {};
  main.appendChild(section('decision-claim', 'The claim',
    facts([
      ['Kind', `${words(req.kind)}${req.subkind ? ` (${words(req.subkind)})` : ''}`],
      ['Customer wants', req.desired_outcome ? words(req.desired_outcome) : 'not said'],
      ['Opened', formatTime(req.opened_at)],
      ['Order', `${order.order_id ?? '—'}: ${typeof order.total === 'number' ? formatMoney(order.total, order.currency) : '—'}, ${order.fulfilment === '1p' ? 'sold by the platform' : 'sold by the seller'}, courier: ${words(order.courier || '—')}`],
      ['Placed / delivered', `${formatTime(order.placed_at)} / ${formatTime(order.delivered_at)}`],
      ['Customer', `${(req.customer && req.customer.customer_id) || '—'}, account since ${formatTime(req.customer && req.customer.account_created_at)}`],
      ['Photos', `${(evidence.photos || []).length}`],
      ['Damage confirmed', yesNo(evidence.damage_confirmed)],
      ['Documents match the order', yesNo(evidence.documents_match_order)],
      ['Signs of use', (evidence.used_signs || []).length ? evidence.used_signs.map(words).join(', ') : 'none'],
      ['Confirmations', Object.entries(confirmations).map(([k, v]) => `${words(k)}: ${answer(v)}`).join('; ') || '—'],
      ['Customer reply', Object.entries(reply).filter(([, v]) => v !== null).map(([k, v]) => `${words(k)}: ${yesNo(v)}`).join('; ') || 'none yet'],
    ]),
    el('h3', null, 'Items'),
    table({ id: 'decision-items' }, ['SKU', 'Title', 'Category', 'Ordered', 'Affected', 'Unit price', 'Component price'],
      items.map((it) => [
        String(it.sku ?? ''),
        String(it.title ?? ''),
        String(it.category ?? ''),
        String(it.quantity_ordered ?? ''),
        String(it.quantity_affected ?? ''),
        typeof it.unit_price === 'number' ? formatMoney(it.unit_price, currency) : '—',
        typeof it.component_price === 'number' ? formatMoney(it.component_price, currency) : '—',
      ]))));

  // ----- the history -----
  const history = x.history || {};
  const earlier = history.earlier_claims || [];
  const photos = history.photos || [];
  main.appendChild(section('decision-history-section', 'What the policies knew of the customer',
    el('div', { id: 'decision-history' },
      el('p', null, history.on_hard_fraud_list ? el('strong', { class: 'error-text' }, 'The customer is on the hard-fraud list.') : 'The customer is not on the hard-fraud list.'),
      earlier.length
        ? table({ id: 'decision-history-claims' }, ['Claim', 'Kind', 'Opened', 'Outcome', 'Money given', 'Sorry coupon', 'Same shop'],
          earlier.map((c) => [
            String(c.claim_id ?? ''), words(c.kind), formatTime(c.opened_at), words(c.outcome),
            c.money_given && typeof c.money_given.amount === 'number' ? formatMoney(c.money_given.amount, c.money_given.currency) : '—',
            yesNo(c.sorry_coupon_given), yesNo(c.same_shop),
          ]), { caption: 'Earlier claims' })
        : el('p', { class: 'muted' }, 'No earlier claims: a first claim.'),
      photos.length
        ? table({ id: 'decision-history-photos' }, ['Photo (SHA-256)', 'Seen in own claims', "Seen in others' claims"],
          photos.map((p) => [el('code', null, String(p.sha256 ?? '').slice(0, 16)), yesNo(p.seen_in_own_claims), yesNo(p.seen_in_others_claims)]),
          { caption: 'Photos seen before' })
        : null)));

  // ----- fraud signals -----
  const signals = x.signals || [];
  main.appendChild(section('decision-signals-section', 'Fraud signals',
    signals.length
      ? el('ul', { id: 'decision-signals', class: 'reasons' }, signals.map((s) => el('li', { 'data-rule': s.rule || '' }, String(s.text ?? ''))))
      : el('p', { id: 'decision-signals', class: 'muted' }, 'No fraud signals.')));

  // ----- the policy -----
  main.appendChild(section('decision-policy-section', 'Policy',
    el('div', { id: 'decision-policy' },
      facts([
        ['Module', el('span', null, policyName, el('br'), el('code', { class: 'digest' }, policy.module || (d.policy && d.policy.module) || 'platform default'))],
        ['Settings version', `Version ${policy.settings_version ?? (d.policy && d.policy.settings_version) ?? 0}`],
        ['Mode', words((d.policy && d.policy.mode) || 'active')],
        ['Settings', settingsList(policy.settings)],
        ['Fraud screen', el('span', null, fraudName, el('br'), el('code', { class: 'digest' }, (policy.fraud_screen && policy.fraud_screen.module) || '—'))],
        ['Spending caps', x.guardrails && Object.keys(x.guardrails).length
          ? Object.entries(x.guardrails).map(([k, v]) => `${words(k)}: ${v === null ? 'none' : v}`).join('; ')
          : 'none'],
      ]))));

  // ----- shadow -----
  const shadow = x.shadow || [];
  if (shadow.length) {
    main.appendChild(section('decision-shadow', 'What the shadow version decided',
      ...shadow.map((s) => el('div', { class: 'shadow-decision' },
        el('p', null, outcomeBadge(s.outcome), ` with ${s.policy ? shortDigest(s.policy.module) : 'the candidate'}, settings version ${s.policy ? s.policy.settings_version : '—'}`),
        (s.actions || []).length ? el('p', { class: 'actions-text' }, s.actions.map(describeAction).join('; ')) : null,
        reasonList(s.reasons)))));
  }

  // ----- feedback -----
  const fb = x.feedback;
  main.appendChild(section('decision-feedback-section', 'Feedback from the marketplace',
    fb
      ? el('div', { id: 'decision-feedback' }, facts([
        ['Final', fb.final === 'overridden' ? 'overridden by staff' : 'accepted as decided'],
        ['Final outcome', fb.final_outcome ? words(fb.final_outcome) : '—'],
        ['Final money', fb.final_money ? formatMoneyMap(fb.final_money) : '—'],
        ['Note', fb.note ? String(fb.note) : '—'],
        ['Given', `${formatTime(fb.given_at)} by ${fb.given_by || '—'}`],
      ]))
      : el('p', { id: 'decision-feedback', class: 'muted' }, 'No feedback yet')));

  // ----- guest output -----
  if (x.guest_output) {
    main.appendChild(section('decision-guest-output-section', "The module's own output",
      el('pre', { id: 'decision-guest-output', class: 'guest-output' }, String(x.guest_output))));
  }

  main.appendChild(el('p', null, el('a', { href: decisionHash(shop, d.decision_id || id), class: 'muted' }, 'Permalink')));
}
