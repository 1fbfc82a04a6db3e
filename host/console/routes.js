// Hash routes, with every id percent-encoded.

const enc = (v) => encodeURIComponent(String(v));

/** #/shops/{shop}/{page} */
export function shopHash(shop, page) {
  return `#/shops/${enc(shop)}/${page}`;
}

export function decisionHash(shop, decisionId) {
  return `#/shops/${enc(shop)}/decisions/${enc(decisionId)}`;
}

export function backtestHash(shop, backtestId) {
  return `#/shops/${enc(shop)}/backtests/${enc(backtestId)}`;
}
