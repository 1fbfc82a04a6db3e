//! The history a claim is given, read with indexed queries: the customer's earlier
//! claims (one row per claim, at its latest revision), what is known of each photo, and
//! the hard-fraud list, and the compensation already given (for the envelope's caps).

use sqlx::Row;

use super::{Ledger, LedgerError, parse_label};
use crate::contract::{DecisionRequest, Timestamp};
use crate::history::{
    CustomerHistory, DAY_MS, HISTORY_WINDOW_DAYS, MAX_EARLIER_CLAIMS, MoneyGiven, PastClaim,
    PhotoHistory, Spending,
};

impl Ledger {
    /// The history of `request`'s customer as of `request.now`, never counting the
    /// claim itself (any revision).
    pub async fn history(&self, request: &DecisionRequest) -> Result<CustomerHistory, LedgerError> {
        let customer = &request.customer.customer_id;
        let now = request.now.unix_millis();
        let mut connection = self.pool().acquire().await?;

        let rows = sqlx::query(
            "SELECT claim_id, kind, opened_at_ms, outcome, money_given, currency,
                    sorry_coupon_given, shop_id
             FROM claims
             WHERE customer_id = ?1 AND claim_id <> ?2 AND opened_at_ms >= ?3 AND opened_at_ms <= ?4
             ORDER BY opened_at_ms DESC
             LIMIT ?5",
        )
        .bind(customer)
        .bind(&request.claim_id)
        .bind(now.saturating_sub(HISTORY_WINDOW_DAYS * DAY_MS))
        .bind(now)
        .bind(i64::try_from(MAX_EARLIER_CLAIMS).unwrap_or(i64::MAX))
        .fetch_all(&mut *connection)
        .await?;
        let mut earlier_claims = Vec::with_capacity(rows.len());
        for row in rows {
            let opened_at_ms: i64 = row.try_get("opened_at_ms")?;
            let shop_id: String = row.try_get("shop_id")?;
            earlier_claims.push(PastClaim {
                claim_id: row.try_get("claim_id")?,
                kind: parse_label(&row.try_get::<String, _>("kind")?)?,
                opened_at: Timestamp::from_unix_millis(opened_at_ms).ok_or_else(|| {
                    LedgerError::Corrupt(format!("opened_at_ms {opened_at_ms} out of range"))
                })?,
                outcome: parse_label(&row.try_get::<String, _>("outcome")?)?,
                money_given: MoneyGiven {
                    amount: row.try_get("money_given")?,
                    currency: row.try_get("currency")?,
                },
                sorry_coupon_given: row.try_get::<i64, _>("sorry_coupon_given")? != 0,
                same_shop: shop_id == request.shop_id,
            });
        }

        let mut photos = Vec::with_capacity(request.evidence.photos.len());
        for photo in &request.evidence.photos {
            let row = sqlx::query(
                "SELECT COALESCE(MAX(CASE WHEN customer_id = ?1 THEN 1 ELSE 0 END), 0) AS own,
                        COALESCE(MAX(CASE WHEN customer_id <> ?1 THEN 1 ELSE 0 END), 0) AS others
                 FROM photo_uses WHERE sha256 = ?2 AND claim_id <> ?3",
            )
            .bind(customer)
            .bind(&photo.sha256)
            .bind(&request.claim_id)
            .fetch_one(&mut *connection)
            .await?;
            photos.push(PhotoHistory {
                sha256: photo.sha256.clone(),
                seen_in_own_claims: row.try_get::<i64, _>("own")? != 0,
                seen_in_others_claims: row.try_get::<i64, _>("others")? != 0,
            });
        }

        let on_hard_fraud_list = sqlx::query("SELECT 1 FROM fraud_list WHERE customer_id = ?1")
            .bind(customer)
            .fetch_optional(&mut *connection)
            .await?
            .is_some();

        let day_start = now.div_euclid(DAY_MS) * DAY_MS;
        let row = sqlx::query(
            "SELECT
                 (SELECT COALESCE(SUM(money_given), 0) FROM claims
                  WHERE shop_id = ?1 AND claim_id <> ?3 AND decided_now_ms >= ?4 AND decided_now_ms <= ?5)
                     AS shop_today,
                 (SELECT COALESCE(SUM(money_given), 0) FROM claims
                  WHERE customer_id = ?2 AND claim_id <> ?3 AND decided_now_ms >= ?6 AND decided_now_ms <= ?5)
                     AS customer_30d",
        )
        .bind(&request.shop_id)
        .bind(customer)
        .bind(&request.claim_id)
        .bind(day_start)
        .bind(now)
        .bind(now.saturating_sub(30 * DAY_MS))
        .fetch_one(&mut *connection)
        .await?;
        let spending = Spending {
            shop_today: row.try_get("shop_today")?,
            customer_30d: row.try_get("customer_30d")?,
        };

        Ok(CustomerHistory {
            earlier_claims,
            photos,
            on_hard_fraud_list,
            spending,
        })
    }
}
