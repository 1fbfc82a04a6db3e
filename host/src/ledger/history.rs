//! The history a claim is given, read with indexed queries: the customer's earlier
//! claims (one row per claim, at its latest revision), what is known of each photo, and
//! the hard-fraud list, and the compensation already given (for the envelope's caps).
//! Every read is an index seek bounded by what the rules need (at most 200 earlier
//! claims, the first use of a photo found, a shop's one day and a customer's 31 days of
//! running totals), so a decision costs the same on an empty ledger and on a large one.

use super::statements::{Param, Statements, StoreError};
use super::{Ledger, LedgerError, parse_label, utc_day};
use crate::contract::{DecisionRequest, Timestamp};
use crate::history::{
    CustomerHistory, DAY_MS, HISTORY_WINDOW_DAYS, MAX_EARLIER_CLAIMS, MoneyGiven, PastClaim,
    PhotoHistory, Spending,
};

/// How many days before `now`'s the customer's spending reaches back (so 31 daily
/// totals with today's).
const CUSTOMER_WINDOW_DAYS: i64 = 30;

/// The customer's newest claims of the last year, this claim (any revision) left out:
/// a seek in `claims_by_customer` (customer, opened_at_ms), at most 200 rows read.
const EARLIER_CLAIMS: &str = "
    SELECT claim_id, kind, opened_at_ms, outcome, money_given, currency, sorry_coupon_given,
           shop_id
    FROM claims
    WHERE customer_id = $1 AND claim_id <> $2 AND opened_at_ms >= $3 AND opened_at_ms <= $4
    ORDER BY opened_at_ms DESC
    LIMIT $5";

/// Whether a photo's hash was used in another claim by this customer (`own`), and by
/// anyone else (`others`): seeks in photo_uses' key (sha256, customer_id, claim_id),
/// each stopping at the first use found, everyone else's on either side of the
/// customer; a hash used in thousands of claims costs a few page reads.
const PHOTO_SEEN: &str = "
    SELECT
        CASE WHEN EXISTS (SELECT 1 FROM photo_uses
                          WHERE sha256 = $1 AND customer_id = $2 AND claim_id <> $3 LIMIT 1)
             THEN 1 ELSE 0 END AS own,
        CASE WHEN EXISTS (SELECT 1 FROM photo_uses
                          WHERE sha256 = $1 AND customer_id < $2 AND claim_id <> $3 LIMIT 1)
               OR EXISTS (SELECT 1 FROM photo_uses
                          WHERE sha256 = $1 AND customer_id > $2 AND claim_id <> $3 LIMIT 1)
             THEN 1 ELSE 0 END AS others";

/// The running totals (`0010_running_totals.sql`): the shop's total of `now`'s UTC day,
/// and the customer's of the 31 UTC days the 30 days up to `now` touch, each less what
/// this claim (its stored revision) put in it.
///
/// The one difference from the sums over `claims` these replaced: totals count whole
/// days. Those stopped at `now`'s instant (`decided_now_ms <= now`, and for the customer
/// `>= now - 30 days`); these count the rest of today too, so a claim decided with a
/// later `now` of the same day is counted where it was not, and the customer's first
/// day counts whole. A sum is never less than it was: a cap stops no later than it did.
const SPENDING: &str = "
    SELECT
        COALESCE((SELECT money_given FROM shop_day_totals WHERE shop_id = $1 AND utc_day = $4), 0)
        - COALESCE((SELECT money_given FROM claims
                    WHERE claim_id = $3 AND shop_id = $1
                      AND decided_now_ms >= $6 AND decided_now_ms < $7), 0) AS shop_today,
        COALESCE((SELECT CAST(SUM(money_given) AS BIGINT) FROM customer_day_totals
                  WHERE customer_id = $2 AND utc_day >= $5 AND utc_day <= $4), 0)
        - COALESCE((SELECT money_given FROM claims
                    WHERE claim_id = $3 AND customer_id = $2
                      AND decided_now_ms >= $8 AND decided_now_ms < $7), 0) AS customer_30d";

/// The history of `request`'s customer as of `request.now`, never counting the claim
/// itself (any revision), read on `store`.
pub(super) async fn read_history<S: Statements>(
    store: &mut S,
    request: &DecisionRequest,
) -> Result<CustomerHistory, StoreError> {
    let customer = request.customer.customer_id.as_str();
    let claim_id = request.claim_id.as_str();
    let now = request.now.unix_millis();

    let earlier_claims = store
        .fetch(
            EARLIER_CLAIMS,
            &[
                Param::Text(customer),
                Param::Text(claim_id),
                Param::Int(now.saturating_sub(HISTORY_WINDOW_DAYS * DAY_MS)),
                Param::Int(now),
                Param::Int(i64::try_from(MAX_EARLIER_CLAIMS).unwrap_or(i64::MAX)),
            ],
            |row| {
                let opened_at_ms = row.int("opened_at_ms")?;
                Ok(PastClaim {
                    claim_id: row.text("claim_id")?,
                    kind: stored_label(&row.text("kind")?)?,
                    opened_at: Timestamp::from_unix_millis(opened_at_ms).ok_or_else(|| {
                        StoreError::Corrupt(format!("opened_at_ms {opened_at_ms} out of range"))
                    })?,
                    outcome: stored_label(&row.text("outcome")?)?,
                    money_given: MoneyGiven {
                        amount: row.int("money_given")?,
                        currency: row.text("currency")?,
                    },
                    sorry_coupon_given: row.int("sorry_coupon_given")? != 0,
                    same_shop: row.text("shop_id")? == request.shop_id,
                })
            },
        )
        .await?;

    let mut photos = Vec::with_capacity(request.evidence.photos.len());
    for photo in &request.evidence.photos {
        let seen = store
            .fetch_optional(
                PHOTO_SEEN,
                &[
                    Param::Text(&photo.sha256),
                    Param::Text(customer),
                    Param::Text(claim_id),
                ],
                |row| Ok((row.int("own")? != 0, row.int("others")? != 0)),
            )
            .await?;
        let (own, others) = seen.unwrap_or_default();
        photos.push(PhotoHistory {
            sha256: photo.sha256.clone(),
            seen_in_own_claims: own,
            seen_in_others_claims: others,
        });
    }

    let on_hard_fraud_list = store
        .fetch_optional(
            "SELECT 1 AS listed FROM fraud_list WHERE customer_id = $1",
            &[Param::Text(customer)],
            |row| row.int("listed"),
        )
        .await?
        .is_some();

    let today = utc_day(now);
    let first_day = today.saturating_sub(CUSTOMER_WINDOW_DAYS);
    let spending = store
        .fetch_optional(
            SPENDING,
            &[
                Param::Text(&request.shop_id),
                Param::Text(customer),
                Param::Text(claim_id),
                Param::Int(today),
                Param::Int(first_day),
                Param::Int(today.saturating_mul(DAY_MS)),
                Param::Int(today.saturating_add(1).saturating_mul(DAY_MS)),
                Param::Int(first_day.saturating_mul(DAY_MS)),
            ],
            |row| {
                Ok(Spending {
                    shop_today: row.int("shop_today")?,
                    customer_30d: row.int("customer_30d")?,
                })
            },
        )
        .await?
        .unwrap_or_default();

    Ok(CustomerHistory {
        earlier_claims,
        photos,
        on_hard_fraud_list,
        spending,
    })
}

/// A contract enum value from its stored JSON name.
fn stored_label<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, StoreError> {
    parse_label(text).map_err(|_| StoreError::Corrupt(format!("unknown value `{text}`")))
}

impl Ledger {
    /// The history of `request`'s customer as of `request.now`, never counting the
    /// claim itself (any revision).
    pub async fn history(&self, request: &DecisionRequest) -> Result<CustomerHistory, LedgerError> {
        if let Some(embedded) = &self.embedded {
            let request = request.clone();
            return embedded
                .read(move |store| futures_executor::block_on(read_history(store, &request)))
                .await;
        }
        let mut connection = self.pool().acquire().await?;
        Ok(read_history(&mut *connection, request).await?)
    }
}

#[cfg(test)]
mod tests;
