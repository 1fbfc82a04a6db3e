//! The aggregates behind the insights: what each claim adds to its shop's days, kept up
//! to date in the decision's own transaction, and the grouped reads the insights are
//! drawn from (`0015_insights.sql` describes the tables).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sqlx::{AnyPool, Row};

use super::statements::{Param, Statements, StoreError};
use super::tallies::{InsightDelta, InsightKey, Tallies};
use super::{Dialect, Ledger, LedgerError, label, utc_day};
use crate::contract::{DecisionRequest, DecisionResponse, Item, Outcome, Risk};
use crate::insights::{Dimension, InsightRow};

/// How many claims one transaction of [`backfill`] counts.
const BACKFILL_PAGE: i64 = 1_000;

/// A claim at its latest revision, as the insights count it.
#[derive(Debug, Clone)]
pub(super) struct ClaimFacts<'a> {
    pub claim_id: &'a str,
    pub shop_id: &'a str,
    pub customer_id: &'a str,
    pub kind: &'a str,
    pub utc_day: i64,
    pub currency: &'a str,
    pub escalated: bool,
    pub fraud_flagged: bool,
    pub money_given: i64,
    pub items: &'a [Item],
}

/// What one claim adds to one aggregate row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Contribution {
    shop_id: String,
    dimension: String,
    key: String,
    utc_day: i64,
    currency: String,
    escalated: bool,
    fraud_flagged: bool,
    money: i64,
}

impl Contribution {
    /// The aggregate row it lands in.
    fn row(&self) -> InsightKey {
        (
            self.shop_id.clone(),
            self.dimension.clone(),
            self.utc_day,
            self.key.clone(),
            self.currency.clone(),
        )
    }

    /// What it moves in its row, added (`sign` 1) or taken out (-1).
    fn delta(&self, sign: i64) -> InsightDelta {
        InsightDelta {
            claims: sign,
            escalations: sign * i64::from(self.escalated),
            fraud_flagged: sign * i64::from(self.fraud_flagged),
            money: sign.saturating_mul(self.money),
        }
    }
}

/// What `facts` adds to the aggregates: one row per dimension and key.
fn contributions(facts: &ClaimFacts<'_>) -> Vec<Contribution> {
    let contribution = |dimension: Dimension, key: &str, money: i64| Contribution {
        shop_id: facts.shop_id.to_owned(),
        dimension: dimension.name().to_owned(),
        key: key.to_owned(),
        utc_day: facts.utc_day,
        currency: facts.currency.to_owned(),
        escalated: facts.escalated,
        fraud_flagged: facts.fraud_flagged,
        money,
    };
    let mut all = vec![
        contribution(Dimension::All, "", facts.money_given),
        contribution(Dimension::Kind, facts.kind, facts.money_given),
        contribution(Dimension::Customer, facts.customer_id, facts.money_given),
    ];
    let mut by_sku: BTreeMap<&str, i64> = BTreeMap::new();
    let mut by_category: BTreeMap<&str, i64> = BTreeMap::new();
    for (item, share) in money_shares(facts.items, facts.money_given) {
        *by_sku.entry(&item.sku).or_default() += share;
        *by_category.entry(&item.category).or_default() += share;
    }
    all.extend(
        by_sku
            .into_iter()
            .map(|(sku, money)| contribution(Dimension::Sku, sku, money)),
    );
    all.extend(
        by_category
            .into_iter()
            .map(|(category, money)| contribution(Dimension::Category, category, money)),
    );
    all
}

/// The claim's money split between its affected items (those with a quantity affected;
/// every item when none has) in proportion to each one's affected value (unit price
/// times quantity affected), equally when those are all zero. The shares are whole
/// minor units and add up to `money` exactly: what rounding leaves goes to the first.
pub(crate) fn money_shares(items: &[Item], money: i64) -> Vec<(&Item, i64)> {
    let affected: Vec<&Item> = items
        .iter()
        .filter(|item| item.quantity_affected > 0)
        .collect();
    let affected = if affected.is_empty() {
        items.iter().collect()
    } else {
        affected
    };
    if affected.is_empty() {
        return Vec::new();
    }
    let values: Vec<i128> = affected
        .iter()
        .map(|item| i128::from(item.unit_price.max(0)) * i128::from(item.quantity_affected))
        .collect();
    let total: i128 = values.iter().sum();
    let weights: Vec<i128> = if total > 0 {
        values
    } else {
        vec![1; affected.len()]
    };
    let weight_sum: i128 = weights.iter().sum();
    let mut shares: Vec<i64> = weights
        .iter()
        .map(|weight| i64::try_from(i128::from(money) * weight / weight_sum).unwrap_or(i64::MAX))
        .collect();
    let rest = money.saturating_sub(shares.iter().copied().fold(0i64, i64::saturating_add));
    if let Some(first) = shares.first_mut() {
        *first = first.saturating_add(rest);
    }
    affected.into_iter().zip(shares).collect()
}

/// Moves the claim's counts to what `facts` (its latest revision) says: what it added
/// before is taken out of `tallies` and its new contributions added, and what it adds
/// now is kept in `claim_insights`, in the transaction open on `store`. A `new_claim`
/// has added nothing before, so nothing is read.
pub(super) async fn count_claim<S: Statements>(
    store: &mut S,
    tallies: &mut Tallies,
    new_claim: bool,
    facts: &ClaimFacts<'_>,
) -> Result<(), StoreError> {
    let claim = [Param::Text(facts.claim_id)];
    let previous: Vec<Contribution> = if new_claim {
        Vec::new()
    } else {
        match store
            .fetch_optional(
                "SELECT contributions_json FROM claim_insights WHERE claim_id = $1",
                &claim,
                |row| row.text("contributions_json"),
            )
            .await?
        {
            Some(text) => serde_json::from_str(&text)
                .map_err(|error| StoreError::Corrupt(format!("a claim's insights: {error}")))?,
            None => Vec::new(),
        }
    };
    let current = contributions(facts);
    if previous == current {
        return Ok(());
    }
    for contribution in &previous {
        tallies.add_insight(contribution.row(), contribution.delta(-1));
    }
    for contribution in &current {
        tallies.add_insight(contribution.row(), contribution.delta(1));
    }
    let json = serde_json::to_string(&current)
        .map_err(|error| StoreError::Corrupt(format!("a claim's insights: {error}")))?;
    store
        .execute(
            "INSERT INTO claim_insights (claim_id, contributions_json) VALUES ($1, $2)
             ON CONFLICT (claim_id) DO UPDATE SET contributions_json = excluded.contributions_json",
            &[Param::Text(facts.claim_id), Param::Text(&json)],
        )
        .await?;
    Ok(())
}

/// Counts in the insights every claim recorded before they were kept (a ledger older
/// than migration 0015): each claim with no `claim_insights` row, at its latest
/// decision, a page per transaction, in claim order. Run when the ledger opens, and
/// only while migration 0015's `insights_backfill` row says there is work left: the
/// row keeps the last claim counted, so an interrupted backfill resumes there, and the
/// last page deletes it, so later starts read one row and nothing more. On PostgreSQL
/// each claim is taken under the lock a decision's write takes, and counted only if no
/// decision counted it meanwhile. A claim whose decision cannot be read is marked
/// counted with nothing, so it is not tried again. How many claims it counted.
pub(super) async fn backfill(pool: &AnyPool, dialect: Dialect) -> Result<u64, LedgerError> {
    let pending = sqlx::query("SELECT counted_up_to FROM insights_backfill")
        .fetch_optional(pool)
        .await?;
    let Some(pending) = pending else {
        return Ok(0);
    };
    let mut after: String = pending.try_get("counted_up_to")?;
    let mut counted = 0u64;
    loop {
        let mut tx = pool.begin().await?;
        let page: Vec<(String, String, String)> = sqlx::query(
            "SELECT c.claim_id, c.shop_id, c.customer_id FROM claims c
             WHERE c.claim_id > $1
               AND NOT EXISTS (SELECT 1 FROM claim_insights i WHERE i.claim_id = c.claim_id)
             ORDER BY c.claim_id LIMIT $2",
        )
        .bind(&after)
        .bind(BACKFILL_PAGE)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|row| {
            Ok((
                row.try_get("claim_id")?,
                row.try_get("shop_id")?,
                row.try_get("customer_id")?,
            ))
        })
        .collect::<Result<_, sqlx::Error>>()?;
        let Some((last, _, _)) = page.last() else {
            sqlx::query("DELETE FROM insights_backfill")
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            return Ok(counted);
        };
        after.clone_from(last);
        let mut tallies = Tallies::default();
        for (claim_id, shop_id, customer_id) in &page {
            if let Some(lock) = dialect.lock_claim() {
                sqlx::query(lock).bind(claim_id).execute(&mut *tx).await?;
                let taken =
                    sqlx::query("SELECT 1 AS taken FROM claim_insights WHERE claim_id = $1")
                        .bind(claim_id)
                        .fetch_optional(&mut *tx)
                        .await?;
                if taken.is_some() {
                    continue;
                }
            }
            let latest = sqlx::query(
                "SELECT request_json, response_json FROM decisions WHERE claim_id = $1
                 ORDER BY revision DESC, decided_at_ms DESC LIMIT 1",
            )
            .bind(claim_id)
            .fetch_optional(&mut *tx)
            .await?;
            let decided = latest
                .map(|row| -> Result<_, LedgerError> {
                    let request: String = row.try_get("request_json")?;
                    let response: String = row.try_get("response_json")?;
                    Ok((
                        serde_json::from_str::<DecisionRequest>(&request).ok(),
                        serde_json::from_str::<DecisionResponse>(&response).ok(),
                    ))
                })
                .transpose()?;
            match decided {
                Some((Some(request), Some(response))) => {
                    let kind = label(&request.kind);
                    let facts = ClaimFacts {
                        claim_id,
                        shop_id,
                        customer_id,
                        kind: &kind,
                        utc_day: utc_day(request.opened_at.unix_millis()),
                        currency: &request.order.currency,
                        escalated: response.outcome == Outcome::Escalate,
                        fraud_flagged: response.risk != Risk::None,
                        money_given: response.money_given(),
                        items: &request.items,
                    };
                    count_claim(&mut *tx, &mut tallies, false, &facts).await?;
                    counted += 1;
                }
                _ => {
                    tracing::warn!(claim_id, "insights: the claim's decision is not readable");
                    sqlx::query(
                        "INSERT INTO claim_insights (claim_id, contributions_json) VALUES ($1, '[]')",
                    )
                    .bind(claim_id)
                    .execute(&mut *tx)
                    .await?;
                }
            }
        }
        tallies.write(&mut *tx).await?;
        sqlx::query("UPDATE insights_backfill SET counted_up_to = $1")
            .bind(&after)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        tracing::info!(counted, "insights: counted claims recorded before them");
    }
}

/// Which shops an insights read covers.
#[derive(Debug, Clone, Copy)]
pub enum InsightScope<'a> {
    Shop(&'a str),
    Platform,
}

impl Ledger {
    /// One dimension's rows in UTC days `from_day..to_day` (end excluded), summed per
    /// key, currency and (when `by_day`) day, and per shop on the platform.
    pub async fn insight_rows(
        &self,
        scope: InsightScope<'_>,
        dimension: Dimension,
        from_day: i64,
        to_day: i64,
        by_day: bool,
    ) -> Result<Vec<InsightRow>, LedgerError> {
        let sql = match (scope, by_day) {
            (InsightScope::Shop(_), false) => {
                "SELECT shop_id, 0 AS utc_day, key, currency,
                     CAST(SUM(claims) AS BIGINT) AS claims,
                     CAST(SUM(escalations) AS BIGINT) AS escalations,
                     CAST(SUM(fraud_flagged) AS BIGINT) AS fraud_flagged,
                     CAST(SUM(money) AS BIGINT) AS money
                 FROM insight_days
                 WHERE shop_id = $1 AND dimension = $2 AND utc_day >= $3 AND utc_day < $4
                 GROUP BY shop_id, key, currency"
            }
            (InsightScope::Shop(_), true) => {
                "SELECT shop_id, utc_day, key, currency, claims, escalations, fraud_flagged, money
                 FROM insight_days
                 WHERE shop_id = $1 AND dimension = $2 AND utc_day >= $3 AND utc_day < $4"
            }
            (InsightScope::Platform, false) => {
                "SELECT shop_id, 0 AS utc_day, key, currency,
                     CAST(SUM(claims) AS BIGINT) AS claims,
                     CAST(SUM(escalations) AS BIGINT) AS escalations,
                     CAST(SUM(fraud_flagged) AS BIGINT) AS fraud_flagged,
                     CAST(SUM(money) AS BIGINT) AS money
                 FROM insight_days
                 WHERE $1 = '' AND dimension = $2 AND utc_day >= $3 AND utc_day < $4
                 GROUP BY shop_id, key, currency"
            }
            (InsightScope::Platform, true) => {
                "SELECT '' AS shop_id, utc_day, key, currency,
                     CAST(SUM(claims) AS BIGINT) AS claims,
                     CAST(SUM(escalations) AS BIGINT) AS escalations,
                     CAST(SUM(fraud_flagged) AS BIGINT) AS fraud_flagged,
                     CAST(SUM(money) AS BIGINT) AS money
                 FROM insight_days
                 WHERE $1 = '' AND dimension = $2 AND utc_day >= $3 AND utc_day < $4
                 GROUP BY utc_day, key, currency"
            }
        };
        let shop_id = match scope {
            InsightScope::Shop(shop_id) => shop_id,
            InsightScope::Platform => "",
        };
        let rows = sqlx::query(sql)
            .bind(shop_id)
            .bind(dimension.name())
            .bind(from_day)
            .bind(to_day)
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|row| {
                Ok(InsightRow {
                    shop_id: row.try_get("shop_id")?,
                    utc_day: row.try_get("utc_day")?,
                    key: row.try_get("key")?,
                    currency: row.try_get("currency")?,
                    claims: row.try_get("claims")?,
                    escalations: row.try_get("escalations")?,
                    fraud_flagged: row.try_get("fraud_flagged")?,
                    money: row.try_get("money")?,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(sku: &str, category: &str, unit_price: i64, affected: u32) -> Item {
        Item {
            sku: sku.to_owned(),
            title: String::new(),
            unit_price,
            quantity_ordered: affected.max(1),
            quantity_affected: affected,
            component_price: None,
            category: category.to_owned(),
        }
    }

    fn shares(items: &[Item], money: i64) -> Vec<(String, i64)> {
        money_shares(items, money)
            .into_iter()
            .map(|(item, share)| (item.sku.clone(), share))
            .collect()
    }

    #[test]
    fn money_is_split_by_affected_value_and_adds_up() {
        let items = [
            item("a", "x", 100, 1),
            item("b", "x", 100, 2),
            item("c", "y", 500, 0),
        ];
        // c is not affected; a:b = 100:200.
        assert_eq!(
            shares(&items, 1000),
            vec![("a".into(), 334), ("b".into(), 666)]
        );
        assert_eq!(shares(&items, 0), vec![("a".into(), 0), ("b".into(), 0)]);
    }

    #[test]
    fn with_nothing_affected_every_item_shares_equally_by_value() {
        let items = [item("a", "x", 0, 0), item("b", "x", 0, 0)];
        assert_eq!(
            shares(&items, 101),
            vec![("a".into(), 51), ("b".into(), 50)]
        );
        assert!(shares(&[], 5).is_empty());
    }

    #[test]
    fn a_claim_counts_once_per_key_with_its_items_merged() {
        let items = [item("a", "x", 100, 1), item("a", "x", 100, 1)];
        let facts = ClaimFacts {
            claim_id: "c",
            shop_id: "s",
            customer_id: "u",
            kind: "damaged",
            utc_day: 3,
            currency: "RUB",
            escalated: true,
            fraud_flagged: false,
            money_given: 200,
            items: &items,
        };
        let rows: Vec<(String, String, i64)> = contributions(&facts)
            .into_iter()
            .map(|c| (c.dimension, c.key, c.money))
            .collect();
        assert_eq!(
            rows,
            vec![
                ("all".into(), "".into(), 200),
                ("kind".into(), "damaged".into(), 200),
                ("customer".into(), "u".into(), 200),
                ("sku".into(), "a".into(), 200),
                ("category".into(), "x".into(), 200),
            ]
        );
    }
}
