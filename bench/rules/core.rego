# The core rules (bench/rules/README.md) in Rego, for regorus: the soft fraud signals
# F4-F7, the sorry-coupon cap (R9), first case (FC) and the compensation tiers (T1-T3).
# The Rust reference is policies/bench-core; this file must agree with it on every claim.
#
# Input: {"claim": ..., "history": ..., "settings": ...} as the README describes it.
# Output: `verdict`, {"outcome", "action", "amount", "rules"}.
#
# Rego numbers here stay exact integers (regorus falls back to big integers rather than
# floats), so sums, products and comparisons of money and milliseconds are exact.
package arbiter.core

import rego.v1

# Milliseconds in a day.
DAY := 86400000

claim := input.claim

history := input.history

settings := input.settings

# --- Facts ------------------------------------------------------------------------

# An item's price: the missing component's for an incomplete set when it is given,
# else the unit price.
price(item) := item.component_price if {
	claim.kind == "IncompleteSet"
	item.component_price != null
} else := item.unit_price

# An item's part of the claim value: its affected units at their price.
line_value(item) := price(item) * item.quantity_affected

# The claim value, summed over the items. (An array, not a set, so that two equal lines
# both count.)
value := sum([line_value(item) | some item in claim.items])

# `past` is an earlier claim (never a revision of this one) opened within `days` days
# up to now.
within(past, days) if {
	past.claim_id != claim.claim_id
	past.opened_at <= claim.now
	claim.now - past.opened_at <= days * DAY
}

# --- Signals ----------------------------------------------------------------------

# F4: courier and warehouse both deny, and no photo shows the labels.
fired contains "F4" if {
	claim.confirmations.courier == "Denied"
	claim.confirmations.warehouse == "Denied"
	not labels_photographed
}

labels_photographed if {
	some photo in claim.evidence.photos
	photo.shows_labels == true
}

# F5: the distinct earlier claims within 30 days, plus this one, reach the soft limit.
fired contains "F5" if {
	recent := {past.claim_id | some past in history.earlier_claims; within(past, 30)}
	count(recent) + 1 >= settings.claims_per_30d_soft
}

# F6: the claim is worth more than the order.
fired contains "F6" if value > claim.order.total

# F7: a new account claiming more than a promo code covers.
fired contains "F7" if {
	claim.now - claim.customer.account_created_at < settings.new_account_days * DAY
	value > settings.promo_max
}

# The signals that fired, in the README's order.
signals := [signal | some signal in ["F4", "F5", "F6", "F7"]; signal in fired]

# --- Verdicts ---------------------------------------------------------------------

escalate(rules) := {"outcome": "escalate", "action": "escalate", "amount": 0, "rules": rules}

compensate(action, amount, rule) := {
	"outcome": "compensate",
	"action": action,
	"amount": amount,
	"rules": [rule],
}

# Earlier claims within 30 days that were given a sorry-coupon (each counts, so an
# array rather than a set).
coupons_30d := count([past |
	some past in history.earlier_claims
	within(past, 30)
	past.sorry_coupon_given == true
])

# R9: a sorry-coupon capped at the order total while this one stays within the cap.
sorry_coupon_verdict := compensate("sorry_coupon", min([settings.sorry_coupon, claim.order.total]), "R9") if {
	coupons_30d + 1 <= settings.sorry_coupons_per_30d
} else := escalate(["R9.cap"])

# Not a first case: an earlier claim within the repeat window.
repeat_claim if {
	some past in history.earlier_claims
	within(past, settings.repeat_window_days)
}

# --- The decision: the first rule that applies --------------------------------------

# 1. Any signal escalates; 2. a delivery problem gets a sorry-coupon (R9); 3. a repeat
# claim escalates (FC); 4. the tiers: a promo code below promo_max (T1), a refund up
# to refund_max (T2), else escalate (T3).
verdict := escalate(signals) if {
	count(signals) > 0
} else := sorry_coupon_verdict if {
	claim.kind == "DeliveryProblem"
} else := escalate(["FC"]) if {
	repeat_claim
} else := compensate("promo_code", value, "T1") if {
	value < settings.promo_max
} else := compensate("refund", value, "T2") if {
	value <= settings.refund_max
} else := escalate(["T3"])
