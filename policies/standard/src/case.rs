//! One claim as the rules see it: the claim, the customer's history and the shop's
//! settings, with the facts the rules keep asking (value, first case, money in words).

use arbiter_sdk::prelude::*;
use arbiter_sdk::time::within_days_before;

use crate::settings::StandardSettings;

/// The claim being decided, with everything a rule may read.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Case<'a> {
    pub claim: &'a Claim,
    pub history: &'a History,
    pub settings: &'a StandardSettings,
}

impl<'a> Case<'a> {
    pub fn new(claim: &'a Claim, history: &'a History, settings: &'a StandardSettings) -> Self {
        Self {
            claim,
            history,
            settings,
        }
    }

    /// The claim value in minor units of the order's currency.
    pub fn value(&self) -> i64 {
        self.claim.claim_value()
    }

    /// `amount` in the order's currency, for people: `"350.00 RUB"`.
    pub fn show(&self, amount: i64) -> String {
        format_money(amount, &self.claim.order.currency)
    }

    /// The earlier claims that make this one a repeat case: opened within
    /// `repeat_window_days` before this claim was *opened* (not before `now`, so every
    /// revision of one claim gets the same answer), and about goods or delivery. A
    /// document request or an order the customer never placed is no complaint, so it does
    /// not count. The host never lists this claim's own revisions; the id check only
    /// makes sure of it (R10: a revision is never a repeat case of itself).
    pub fn earlier_claims(&self) -> usize {
        let days = self.settings.repeat_window_days;
        self.history
            .earlier_claims
            .iter()
            .filter(|past| past.claim_id != self.claim.claim_id)
            .filter(|past| {
                !matches!(
                    past.kind,
                    ClaimKind::DocumentRequest | ClaimKind::UnknownOrder
                )
            })
            .filter(|past| within_days_before(past.opened_at, self.claim.opened_at, days))
            .count()
    }

    /// Whether automatic compensation may trust the customer: always when
    /// `first_case_only` is off, otherwise only without earlier claims.
    pub fn is_first_case(&self) -> bool {
        !self.settings.first_case_only || self.earlier_claims() == 0
    }

    /// The first-case status in words, for reasons.
    pub fn first_case_text(&self) -> String {
        let days = self.settings.repeat_window_days;
        match (self.settings.first_case_only, self.earlier_claims()) {
            (false, _) => "first_case_only is off, so every claim counts as a first claim".into(),
            (true, 0) => format!("first claim within {days} days (repeat_window_days)"),
            (true, 1) => {
                format!("repeat claim: 1 earlier claim within {days} days (repeat_window_days)")
            }
            (true, count) => {
                format!(
                    "repeat claim: {count} earlier claims within {days} days (repeat_window_days)"
                )
            }
        }
    }

    /// A `pending` decision: it waits on someone, and tells the customer the timeline
    /// ("at every step of delay"): the next step is due within `response_days`.
    pub fn pending(&self, rule: &str, text: impl Into<String>) -> Decision {
        Decision::new(Outcome::Pending)
            .eta_days(self.settings.response_days)
            .because(rule, text)
    }

    /// How long the seller has been silent: since the later of `opened_at` and
    /// `last_seller_reply_at`, in milliseconds.
    pub fn seller_silence(&self) -> i64 {
        self.silence_since(self.claim.last_seller_reply_at)
    }

    /// How long the customer has been silent: since the later of `opened_at` and
    /// `last_customer_reply_at`, in milliseconds.
    pub fn customer_silence(&self) -> i64 {
        self.silence_since(self.claim.last_customer_reply_at)
    }

    fn silence_since(&self, last_reply: Option<i64>) -> i64 {
        let since = last_reply.map_or(self.claim.opened_at, |reply| {
            reply.max(self.claim.opened_at)
        });
        self.claim.now.saturating_sub(since)
    }
}

/// A span of time in words, to the hour: `"4 days 2 hours"`.
pub(crate) fn span(ms: i64) -> String {
    const HOUR_MS: i64 = 3_600_000;
    let days = ms.div_euclid(DAY_MS);
    let hours = ms.rem_euclid(DAY_MS) / HOUR_MS;
    let unit = |n: i64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    format!(
        "{} {}",
        unit(days, "day", "days"),
        unit(hours, "hour", "hours")
    )
}

/// `decision` with `text` under `rule` as its first reason: the rule that led to it.
pub(crate) fn led_by(rule: &str, text: impl Into<String>, mut decision: Decision) -> Decision {
    decision.reasons.insert(0, Reason::new(rule, text));
    decision
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{clean, past};
    use arbiter_sdk::sample;

    #[test]
    fn spans_read_in_days_and_hours() {
        assert_eq!(span(0), "0 days 0 hours");
        assert_eq!(span(DAY_MS + 3_600_000), "1 day 1 hour");
        assert_eq!(
            span(20 * DAY_MS + 15 * 3_600_000 + 59_000),
            "20 days 15 hours"
        );
    }

    #[test]
    fn repeat_window_counts_from_the_claims_opening() {
        let settings = StandardSettings::default();
        let mut claim = sample::claim(ClaimKind::Damaged);
        // A revision decided much later than the opening still sees the same earlier claim.
        claim.now = claim.opened_at + 30 * DAY_MS;
        let mut history = clean();
        history.earlier_claims = vec![past(ClaimKind::Damaged, claim.opened_at - 365 * DAY_MS)];
        assert!(!Case::new(&claim, &history, &settings).is_first_case());
        history.earlier_claims = vec![past(ClaimKind::Damaged, claim.opened_at - 365 * DAY_MS - 1)];
        assert!(Case::new(&claim, &history, &settings).is_first_case());
    }

    #[test]
    fn document_requests_unknown_orders_and_own_revisions_do_not_count() {
        let settings = StandardSettings::default();
        let claim = sample::claim(ClaimKind::Damaged);
        let mut history = clean();
        let mut own = past(ClaimKind::Damaged, claim.opened_at - DAY_MS);
        own.claim_id = claim.claim_id.clone();
        history.earlier_claims = vec![
            past(ClaimKind::DocumentRequest, claim.opened_at - DAY_MS),
            past(ClaimKind::UnknownOrder, claim.opened_at - DAY_MS),
            own,
        ];
        let case = Case::new(&claim, &history, &settings);
        assert_eq!(case.earlier_claims(), 0);
        history
            .earlier_claims
            .push(past(ClaimKind::Return, claim.opened_at - DAY_MS));
        let case = Case::new(&claim, &history, &settings);
        assert_eq!(case.earlier_claims(), 1);
        assert!(!case.is_first_case());
        let trusting = StandardSettings {
            first_case_only: false,
            ..StandardSettings::default()
        };
        assert!(Case::new(&claim, &history, &trusting).is_first_case());
    }
}
