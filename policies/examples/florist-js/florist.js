// A florist's own policy, in JavaScript: the Rust florist (../florist) line for line.
//
// Flowers are never taken back; anything else under `promo_max` (1,000 RUB unless the
// seller changes it) gets a promo code; office staff look at everything else.
//
// WIT's 64-bit integers (money, timestamps) arrive as BigInt from componentize-js and
// as Number from jco's QuickJS backend; `int64` answers in the kind the claim came in.

const DEFAULT_SETTINGS = { promo_max: 100000 };

const SETTINGS_SCHEMA = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  title: "FloristSettings",
  description: "What the florist tunes.",
  type: "object",
  properties: {
    promo_max: {
      description: "Claims worth less than this (minor units) get a promo code.",
      type: "integer",
      format: "int64",
      default: DEFAULT_SETTINGS.promo_max,
    },
  },
  additionalProperties: false,
};

const NO_DECIMALS = ["BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF",
  "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF"];
const THREE_DECIMALS = ["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"];

/** `console.log`, where the engine has one (jco's QuickJS backend has only `print`). */
const log = globalThis.console?.log ?? globalThis.print ?? (() => {});

/** A WIT `policy-error` or `settings-error`, thrown to return the `err` case. */
class Refusal extends Error {
  constructor(payload) {
    super(JSON.stringify(payload));
    this.payload = payload;
  }
}

function settingsError(key, message) {
  return { key, message };
}

/** The settings text parsed, with defaults for absent keys; throws a settings-error. */
export function parseSettings(text) {
  if (text.trim() === "") return { ...DEFAULT_SETTINGS };
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Refusal(settingsError(undefined, `settings are not a valid JSON object: ${error.message}`));
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new Refusal(settingsError(undefined, "settings must be a JSON object"));
  }
  for (const key of Object.keys(parsed)) {
    if (!(key in DEFAULT_SETTINGS)) throw new Refusal(settingsError(key, `unknown setting \`${key}\``));
  }
  const settings = { ...DEFAULT_SETTINGS, ...parsed };
  if (!Number.isSafeInteger(settings.promo_max)) {
    throw new Refusal(settingsError("promo_max", "`promo_max`: must be a whole number"));
  }
  if (settings.promo_max <= 0) {
    throw new Refusal(settingsError("promo_max", "must be greater than 0"));
  }
  return settings;
}

/** Minor units for people: `formatMoney(35000, "RUB")` is `"350.00 RUB"`. */
export function formatMoney(amount, currency) {
  const digits = NO_DECIMALS.includes(currency) ? 0 : THREE_DECIMALS.includes(currency) ? 3 : 2;
  const sign = amount < 0n ? "-" : "";
  const magnitude = amount < 0n ? -amount : amount;
  if (digits === 0) return `${sign}${magnitude} ${currency}`;
  const scale = 10n ** BigInt(digits);
  const fraction = String(magnitude % scale).padStart(digits, "0");
  return `${sign}${magnitude / scale}.${fraction} ${currency}`;
}

/** The claim value in minor units, as a BigInt (the affected units at their price). */
export function claimValue(claim) {
  return claim.items.reduce((total, item) => {
    const setPart = claim.kind === "incomplete-set" ? item.componentPrice : undefined;
    const price = BigInt(setPart ?? item.unitPrice);
    return total + price * BigInt(item.quantityAffected);
  }, 0n);
}

/** The next step for a claim (WIT `decide`). */
export function decide(claim, _history, settingsText) {
  let settings;
  try {
    settings = parseSettings(settingsText);
  } catch (error) {
    throw error instanceof Refusal ? new Refusal({ tag: "invalid-settings", val: error.payload }) : error;
  }
  const currency = claim.order.currency;
  const int64 = (value) => (typeof claim.now === "bigint" ? BigInt(value) : Number(value));
  const value = claimValue(claim);
  const promoMax = BigInt(settings.promo_max);
  const worth = formatMoney(value, currency);
  const limit = formatMoney(promoMax, currency);
  // What a policy prints is kept with its decision and shown by explain.
  log(`claim ${claim.claimId}: worth ${worth}, promo_max ${limit}`);
  if (claim.kind === "return") {
    return decision("reject", [], undefined, "FL1", "flowers are perishable and are never taken back");
  }
  if (value > 0n && value < promoMax) {
    const promo = { tag: "promo-code", val: { amount: int64(value), currency } };
    return decision("compensate", [promo], "seller", "FL2",
      `claim worth ${worth}, below promo_max ${limit}: promo code`);
  }
  const note = `claim worth ${worth}, not below promo_max ${limit}: the florist decides`;
  const escalation = { tag: "escalate", val: { to: "office-staff", note } };
  return decision("escalate", [escalation], undefined, "FL3", note);
}

function decision(outcome, actions, payer, rule, text) {
  return { outcome, actions, payer, etaDays: undefined, reasons: [{ rule, text }] };
}

/** Checks a settings document (WIT `validate-settings`). */
export function validateSettings(settingsText) {
  parseSettings(settingsText);
}

/** The settings' JSON Schema (WIT `settings-schema`). */
export function settingsSchema() {
  return JSON.stringify(SETTINGS_SCHEMA);
}

/** The module's name, version and rules (WIT `metadata`). */
export function metadata() {
  return { name: "florist", version: "0.1.0", rules: ["FL1", "FL2", "FL3"] };
}
