// The florist's rules, run in Node without building Wasm (`npm test`). The claims are
// shaped as the component model hands them over: camelCase fields, kebab-case enum
// values, BigInt for WIT's 64-bit integers.
import assert from "node:assert/strict";
import { test } from "node:test";

import { decide, formatMoney, metadata, settingsSchema, validateSettings } from "./florist.js";

function claim(kind, unitPrice) {
  return {
    claimId: "c-1", revision: 1, shopId: "florist-shop", now: 1_700_000_000_000n,
    openedAt: 1_700_000_000_000n, kind, subkind: undefined,
    order: { orderId: "o-1", currency: "RUB", total: unitPrice },
    items: [{ sku: "rose", title: "Roses", unitPrice, quantityOrdered: 1, quantityAffected: 1,
      componentPrice: undefined, category: "flowers" }],
  };
}

test("cheap claims get a promo code of their value", () => {
  const decision = decide(claim("damaged", 99_999n), {}, "");
  assert.equal(decision.outcome, "compensate");
  assert.deepEqual(decision.actions, [{ tag: "promo-code", val: { amount: 99_999n, currency: "RUB" } }]);
  assert.equal(decision.payer, "seller");
  assert.equal(decision.reasons[0].text, "claim worth 999.99 RUB, below promo_max 1000.00 RUB: promo code");
});

test("claims at the limit go to the florist", () => {
  const decision = decide(claim("wrong-item", 100_000n), {}, "");
  assert.equal(decision.outcome, "escalate");
  assert.deepEqual(decision.reasons.map((reason) => reason.rule), ["FL3"]);
  assert.equal(decision.actions[0].tag, "escalate");
  assert.equal(decision.payer, undefined);
});

test("flowers are never returned", () => {
  assert.equal(decide(claim("return", 5_000n), {}, "").outcome, "reject");
});

test("the limit is a setting, checked by name", () => {
  assert.equal(decide(claim("damaged", 35_000n), {}, '{"promo_max": 30000}').outcome, "escalate");
  assert.throws(() => validateSettings('{"promo_max": 0}'), (error) => error.payload.key === "promo_max");
  assert.throws(() => validateSettings('{"promo_min": 1}'), (error) => error.payload.key === "promo_min");
  assert.throws(() => decide(claim("damaged", 1n), {}, "[]"),
    (error) => error.payload.tag === "invalid-settings");
});

test("the schema and metadata describe the module", () => {
  assert.equal(JSON.parse(settingsSchema()).properties.promo_max.default, 100_000);
  assert.deepEqual(metadata().rules, ["FL1", "FL2", "FL3"]);
  assert.equal(formatMoney(1_500n, "KWD"), "1.500 KWD");
  assert.equal(formatMoney(-250n, "RUB"), "-2.50 RUB");
});
