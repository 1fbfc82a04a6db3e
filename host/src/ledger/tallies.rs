//! The running counts a decision moves (money per shop and per customer per day, the
//! insights' rows, decisions per module and settings version), summed in memory over a
//! whole group commit and written once per row at its end.
//!
//! Under load many decisions of one commit land in the same rows (a shop's day, its
//! kinds and categories), so one upsert per row replaces one per decision and row. The
//! rows are written in key order, so hosts sharing a PostgreSQL take their locks in one
//! order. A decision's counts join the commit's only once its own savepoint is
//! released: a decision that fails alone adds nothing.

use std::collections::BTreeMap;

use super::statements::{Param, Statements, StoreError};

/// An insights row: shop, dimension, UTC day, key, currency.
pub(super) type InsightKey = (String, String, i64, String, String);

/// What moves in one insights row.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(super) struct InsightDelta {
    pub claims: i64,
    pub escalations: i64,
    pub fraud_flagged: i64,
    pub money: i64,
}

impl InsightDelta {
    fn merge(&mut self, other: Self) {
        self.claims += other.claims;
        self.escalations += other.escalations;
        self.fraud_flagged += other.fraud_flagged;
        self.money = self.money.saturating_add(other.money);
    }

    pub(super) fn is_zero(&self) -> bool {
        *self == Self::default()
    }
}

/// Counts not yet written, for one decision or a whole commit.
#[derive(Debug, Default)]
pub(super) struct Tallies {
    /// Money given per shop and UTC day.
    shop_days: BTreeMap<(String, i64), i64>,
    /// Money given per customer and UTC day.
    customer_days: BTreeMap<(String, i64), i64>,
    insight_days: BTreeMap<InsightKey, InsightDelta>,
    /// Decisions per shop, module and settings version.
    versions: BTreeMap<(String, String, i64), i64>,
}

impl Tallies {
    /// Adds `amount` (negative to take away) to the shop's and the customer's total of
    /// `utc_day`.
    pub(super) fn add_money(
        &mut self,
        shop_id: &str,
        customer_id: &str,
        utc_day: i64,
        amount: i64,
    ) {
        add(&mut self.shop_days, (shop_id.to_owned(), utc_day), amount);
        add(
            &mut self.customer_days,
            (customer_id.to_owned(), utc_day),
            amount,
        );
    }

    pub(super) fn add_insight(&mut self, key: InsightKey, delta: InsightDelta) {
        self.insight_days.entry(key).or_default().merge(delta);
    }

    /// Counts one decision made by `module_digest` with `settings_version`.
    pub(super) fn add_decision(
        &mut self,
        shop_id: &str,
        module_digest: &str,
        settings_version: i64,
    ) {
        add(
            &mut self.versions,
            (
                shop_id.to_owned(),
                module_digest.to_owned(),
                settings_version,
            ),
            1,
        );
    }

    /// Takes in what `other` counted (a decision whose write went through).
    pub(super) fn merge(&mut self, other: Self) {
        for (key, amount) in other.shop_days {
            add(&mut self.shop_days, key, amount);
        }
        for (key, amount) in other.customer_days {
            add(&mut self.customer_days, key, amount);
        }
        for (key, delta) in other.insight_days {
            self.add_insight(key, delta);
        }
        for (key, count) in other.versions {
            add(&mut self.versions, key, count);
        }
    }

    /// Writes every count that moved, one upsert per row, in the transaction open on
    /// `store`.
    pub(super) async fn write<S: Statements>(&self, store: &mut S) -> Result<(), StoreError> {
        for ((shop_id, utc_day), amount) in nonzero(&self.shop_days) {
            store
                .execute(
                    "INSERT INTO shop_day_totals (shop_id, utc_day, money_given)
                     VALUES ($1, $2, $3)
                     ON CONFLICT (shop_id, utc_day) DO UPDATE SET
                         money_given = shop_day_totals.money_given + excluded.money_given",
                    &[
                        Param::Text(shop_id),
                        Param::Int(*utc_day),
                        Param::Int(amount),
                    ],
                )
                .await?;
        }
        for ((customer_id, utc_day), amount) in nonzero(&self.customer_days) {
            store
                .execute(
                    "INSERT INTO customer_day_totals (customer_id, utc_day, money_given)
                     VALUES ($1, $2, $3)
                     ON CONFLICT (customer_id, utc_day) DO UPDATE SET
                         money_given = customer_day_totals.money_given + excluded.money_given",
                    &[
                        Param::Text(customer_id),
                        Param::Int(*utc_day),
                        Param::Int(amount),
                    ],
                )
                .await?;
        }
        for ((shop_id, dimension, utc_day, key, currency), delta) in &self.insight_days {
            if delta.is_zero() {
                continue;
            }
            store
                .execute(
                    "INSERT INTO insight_days (shop_id, dimension, utc_day, key, currency,
                         claims, escalations, fraud_flagged, money)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                     ON CONFLICT (shop_id, dimension, utc_day, key, currency) DO UPDATE SET
                         claims = insight_days.claims + excluded.claims,
                         escalations = insight_days.escalations + excluded.escalations,
                         fraud_flagged = insight_days.fraud_flagged + excluded.fraud_flagged,
                         money = insight_days.money + excluded.money",
                    &[
                        Param::Text(shop_id),
                        Param::Text(dimension),
                        Param::Int(*utc_day),
                        Param::Text(key),
                        Param::Text(currency),
                        Param::Int(delta.claims),
                        Param::Int(delta.escalations),
                        Param::Int(delta.fraud_flagged),
                        Param::Int(delta.money),
                    ],
                )
                .await?;
        }
        for ((shop_id, module_digest, settings_version), count) in nonzero(&self.versions) {
            store
                .execute(
                    "INSERT INTO version_counts (shop_id, module_digest, settings_version,
                         decisions, feedback, overridden)
                     VALUES ($1, $2, $3, $4, 0, 0)
                     ON CONFLICT (shop_id, module_digest, settings_version) DO UPDATE SET
                         decisions = version_counts.decisions + excluded.decisions",
                    &[
                        Param::Text(shop_id),
                        Param::Text(module_digest),
                        Param::Int(*settings_version),
                        Param::Int(count),
                    ],
                )
                .await?;
        }
        Ok(())
    }
}

fn add<K: Ord>(counts: &mut BTreeMap<K, i64>, key: K, amount: i64) {
    let count = counts.entry(key).or_default();
    *count = count.saturating_add(amount);
}

fn nonzero<K>(counts: &BTreeMap<K, i64>) -> impl Iterator<Item = (&K, i64)> {
    counts
        .iter()
        .filter(|(_, amount)| **amount != 0)
        .map(|(key, amount)| (key, *amount))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_commit_sums_its_decisions_per_row() {
        let mut commit = Tallies::default();
        for amount in [100, 250, -100] {
            let mut decision = Tallies::default();
            decision.add_money("shop-1", "cust-1", 20_000, amount);
            decision.add_decision("shop-1", "sha256:aa", 3);
            commit.merge(decision);
        }
        assert_eq!(commit.shop_days[&("shop-1".to_owned(), 20_000)], 250);
        assert_eq!(commit.customer_days[&("cust-1".to_owned(), 20_000)], 250);
        assert_eq!(
            commit.versions[&("shop-1".to_owned(), "sha256:aa".to_owned(), 3)],
            3
        );
    }

    #[test]
    fn rows_that_net_to_nothing_are_not_written() {
        let mut tallies = Tallies::default();
        tallies.add_money("shop-1", "cust-1", 20_000, 500);
        tallies.add_money("shop-1", "cust-1", 20_000, -500);
        assert_eq!(nonzero(&tallies.shop_days).count(), 0);
        assert_eq!(nonzero(&tallies.customer_days).count(), 0);
    }
}
