//! Decisions, settings, the hard-fraud list and tokens: writes and point reads.

/// The columns [`stored_decision`] reads, for `concat!` into a static statement.
macro_rules! stored_decision_columns {
    () => {
        "decision_id, shop_id, module_digest, settings_version, failure, failure_detail,
         guest_output, latency_us, decided_at_ms, request_json, response_json, history_json,
         signals_json, guardrails_json, settings_json, fraud_module_digest, fraud_settings_json,
         request_id, assessment_json"
    };
}
pub(super) use stored_decision_columns;

use sqlx::Row;

use super::insights::{ClaimFacts, count_claim};
use super::rollouts::{Counted as RolloutCounted, RolloutTag, count_decision};
use super::statements::{Columns, Param, Statements, StoreError};
use super::tallies::Tallies;
use super::{Dialect, Ledger, LedgerError, label, to_i64, to_u64, utc_day};
use crate::contract::{Action, DecisionRequest, DecisionResponse, Item, Reason};
use crate::engine::ModuleDigest;
use crate::guardrails::Guardrails;
use crate::history::CustomerHistory;
use crate::world::types::Assessment;

/// One decision to record, with everything needed to explain and replay it.
#[derive(Debug, Clone, Copy)]
pub struct DecisionRecord<'a> {
    pub idempotency_key: &'a str,
    /// SHA-256 of the request in canonical form, to tell a replay from a conflict.
    pub request_hash: &'a str,
    pub request: &'a DecisionRequest,
    pub response: &'a DecisionResponse,
    /// The response exactly as answered, so a replay answers byte for byte the same.
    pub response_json: &'a str,
    pub history: &'a CustomerHistory,
    pub guardrails: &'a Guardrails,
    /// The settings text the policy was given.
    pub settings_json: &'a str,
    /// The fraud screen that ran, and its settings.
    pub fraud_module_digest: &'a ModuleDigest,
    pub fraud_settings_json: &'a str,
    pub signals: &'a [Reason],
    /// The fraud screen's answer, when it gave a usable one.
    pub assessment: Option<&'a Assessment>,
    /// What the module wrote to stdout and stderr (capped).
    pub guest_output: Option<&'a str>,
    /// The detail of the module's failure, when it failed.
    pub failure_detail: Option<&'a str>,
    pub latency_us: u64,
    pub decided_at_ms: i64,
    /// The rollout, step and side the decision is counted in, if any.
    pub rollout: Option<&'a RolloutTag>,
    /// The id of the HTTP request that asked for it (`x-request-id`), if any.
    pub request_id: Option<&'a str>,
}

/// A decision as its rows: every value bound, owned, so the group commit can write it
/// after the caller's borrow ends. Encoding happens on the caller's task.
#[derive(Debug)]
pub(super) struct DecisionRow {
    decision_id: String,
    idempotency_key: String,
    request_hash: String,
    claim_id: String,
    revision: i64,
    shop_id: String,
    customer_id: String,
    outcome: String,
    risk: String,
    module_digest: String,
    settings_version: i64,
    mode: String,
    failure: Option<String>,
    latency_us: i64,
    decided_at_ms: i64,
    request_json: String,
    response_json: String,
    history_json: String,
    signals_json: String,
    assessment_json: Option<String>,
    guardrails_json: String,
    settings_json: String,
    fraud_module_digest: String,
    fraud_settings_json: String,
    guest_output: Option<String>,
    failure_detail: Option<String>,
    kind: String,
    opened_at_ms: i64,
    now_ms: i64,
    money_given: i64,
    currency: String,
    sorry_coupon_given: bool,
    photos: Vec<String>,
    items: Vec<Item>,
    rollout: Option<RolloutTag>,
    request_id: Option<String>,
}

impl From<DecisionRecord<'_>> for DecisionRow {
    fn from(record: DecisionRecord<'_>) -> Self {
        let request = record.request;
        let response = record.response;
        let json = |value: &dyn erased_json::Json| value.to_json();
        Self {
            decision_id: response.decision_id.clone(),
            idempotency_key: record.idempotency_key.to_owned(),
            request_hash: record.request_hash.to_owned(),
            claim_id: request.claim_id.clone(),
            revision: i64::from(request.revision),
            shop_id: request.shop_id.clone(),
            customer_id: request.customer.customer_id.clone(),
            outcome: label(&response.outcome),
            risk: label(&response.risk),
            module_digest: response.policy.module.clone(),
            settings_version: to_i64(response.policy.settings_version),
            mode: label(&response.policy.mode),
            failure: response.failure.clone(),
            latency_us: to_i64(record.latency_us),
            decided_at_ms: record.decided_at_ms,
            request_json: json(request),
            response_json: record.response_json.to_owned(),
            history_json: json(record.history),
            signals_json: json(&record.signals),
            assessment_json: record.assessment.map(|assessment| json(assessment)),
            guardrails_json: json(record.guardrails),
            settings_json: record.settings_json.to_owned(),
            fraud_module_digest: record.fraud_module_digest.to_string(),
            fraud_settings_json: record.fraud_settings_json.to_owned(),
            guest_output: record.guest_output.map(str::to_owned),
            failure_detail: record.failure_detail.map(str::to_owned),
            kind: label(&request.kind),
            opened_at_ms: request.opened_at.unix_millis(),
            now_ms: request.now.unix_millis(),
            money_given: response.money_given(),
            currency: request.order.currency.clone(),
            sorry_coupon_given: response
                .actions
                .iter()
                .any(|action| matches!(action, Action::SorryCoupon { .. })),
            photos: request
                .evidence
                .photos
                .iter()
                .map(|photo| photo.sha256.clone())
                .collect(),
            items: request.items.clone(),
            rollout: record.rollout.cloned(),
            request_id: record.request_id.map(str::to_owned),
        }
    }
}

impl DecisionRow {
    pub(super) fn claim_id(&self) -> &str {
        &self.claim_id
    }

    pub(super) fn idempotency_key(&self) -> &str {
        &self.idempotency_key
    }

    /// Writes the decision, the claim's latest state and its photos in the transaction
    /// open on `store`, and adds what it moves in the running counts to `tallies` (the
    /// caller writes those once per commit); `false` (and nothing written or counted)
    /// when the idempotency key is already taken.
    pub(super) async fn write<S: Statements>(
        &self,
        store: &mut S,
        dialect: Dialect,
        tallies: &mut Tallies,
    ) -> Result<bool, StoreError> {
        let inserted = store
            .execute(
                "INSERT INTO decisions (decision_id, idempotency_key, request_hash, claim_id,
                     revision, shop_id, customer_id, outcome, risk, module_digest,
                     settings_version, mode, failure, latency_us, decided_at_ms, request_json,
                     response_json, history_json, signals_json, guardrails_json, settings_json,
                     fraud_module_digest, fraud_settings_json, guest_output, failure_detail,
                     rollout_id, rollout_step, rollout_side, kind, request_id, assessment_json)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
                     $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30,
                     $31)
                 ON CONFLICT (idempotency_key) DO NOTHING",
                &[
                    Param::Text(&self.decision_id),
                    Param::Text(&self.idempotency_key),
                    Param::Text(&self.request_hash),
                    Param::Text(&self.claim_id),
                    Param::Int(self.revision),
                    Param::Text(&self.shop_id),
                    Param::Text(&self.customer_id),
                    Param::Text(&self.outcome),
                    Param::Text(&self.risk),
                    Param::Text(&self.module_digest),
                    Param::Int(self.settings_version),
                    Param::Text(&self.mode),
                    Param::OptionalText(self.failure.as_deref()),
                    Param::Int(self.latency_us),
                    Param::Int(self.decided_at_ms),
                    Param::Text(&self.request_json),
                    Param::Text(&self.response_json),
                    Param::Text(&self.history_json),
                    Param::Text(&self.signals_json),
                    Param::Text(&self.guardrails_json),
                    Param::Text(&self.settings_json),
                    Param::Text(&self.fraud_module_digest),
                    Param::Text(&self.fraud_settings_json),
                    Param::OptionalText(self.guest_output.as_deref()),
                    Param::OptionalText(self.failure_detail.as_deref()),
                    Param::OptionalText(self.rollout.as_ref().map(|tag| tag.rollout_id.as_str())),
                    Param::OptionalInt(self.rollout.as_ref().map(|tag| to_i64(tag.step))),
                    Param::OptionalText(self.rollout.as_ref().map(|tag| tag.side.name())),
                    Param::Text(&self.kind),
                    Param::OptionalText(self.request_id.as_deref()),
                    Param::OptionalText(self.assessment_json.as_deref()),
                ],
            )
            .await?;
        if inserted == 0 {
            return Ok(false);
        }
        tallies.add_decision(&self.shop_id, &self.module_digest, self.settings_version);
        if let Some(tag) = &self.rollout {
            count_decision(
                store,
                tag,
                RolloutCounted {
                    escalated: self.outcome == "escalate",
                    failed: self.failure.is_some(),
                    money: self.money_given,
                    currency: &self.currency,
                },
            )
            .await?;
        }

        // The claim as it stood, to take its money out of the totals it was counted in.
        let claim = [Param::Text(&self.claim_id)];
        if let Some(lock) = dialect.lock_claim() {
            store.execute(lock, &claim).await?;
        }
        let previous = store
            .fetch_optional(
                "SELECT shop_id, customer_id, money_given, decided_now_ms FROM claims
                 WHERE claim_id = $1",
                &claim,
                |row| {
                    Ok(Counted {
                        shop_id: row.text("shop_id")?,
                        customer_id: row.text("customer_id")?,
                        money_given: row.int("money_given")?,
                        utc_day: utc_day(row.int("decided_now_ms")?),
                    })
                },
            )
            .await?;

        let updated = store
            .execute(
                "INSERT INTO claims (claim_id, customer_id, shop_id, kind, opened_at_ms, revision,
                     outcome, money_given, currency, sorry_coupon_given, decided_now_ms)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                 ON CONFLICT (claim_id) DO UPDATE SET
                     decided_now_ms = excluded.decided_now_ms,
                     kind = excluded.kind,
                     opened_at_ms = excluded.opened_at_ms,
                     revision = excluded.revision,
                     outcome = excluded.outcome,
                     money_given = excluded.money_given,
                     currency = excluded.currency,
                     sorry_coupon_given = CASE
                         WHEN excluded.sorry_coupon_given > claims.sorry_coupon_given
                         THEN excluded.sorry_coupon_given ELSE claims.sorry_coupon_given END
                 WHERE excluded.revision >= claims.revision",
                &[
                    Param::Text(&self.claim_id),
                    Param::Text(&self.customer_id),
                    Param::Text(&self.shop_id),
                    Param::Text(&self.kind),
                    Param::Int(self.opened_at_ms),
                    Param::Int(self.revision),
                    Param::Text(&self.outcome),
                    Param::Int(self.money_given),
                    Param::Text(&self.currency),
                    Param::Int(i64::from(self.sorry_coupon_given)),
                    Param::Int(self.now_ms),
                ],
            )
            .await?;
        // An older revision than the one stored changes nothing, totals included.
        if updated > 0 {
            let current = match &previous {
                // The upsert keeps the claim's first shop and customer.
                Some(previous) => Counted {
                    money_given: self.money_given,
                    utc_day: utc_day(self.now_ms),
                    ..previous.clone()
                },
                None => Counted {
                    shop_id: self.shop_id.clone(),
                    customer_id: self.customer_id.clone(),
                    money_given: self.money_given,
                    utc_day: utc_day(self.now_ms),
                },
            };
            for (counted, amount) in total_changes(previous.as_ref(), &current) {
                tallies.add_money(
                    &counted.shop_id,
                    &counted.customer_id,
                    counted.utc_day,
                    amount,
                );
            }
            count_claim(
                store,
                tallies,
                previous.is_none(),
                &ClaimFacts {
                    claim_id: &self.claim_id,
                    shop_id: &current.shop_id,
                    customer_id: &current.customer_id,
                    kind: &self.kind,
                    utc_day: utc_day(self.opened_at_ms),
                    currency: &self.currency,
                    escalated: self.outcome == "escalate",
                    fraud_flagged: self.risk != "none",
                    money_given: self.money_given,
                    items: &self.items,
                },
            )
            .await?;
        }

        for photo in &self.photos {
            store
                .execute(
                    "INSERT INTO photo_uses (sha256, customer_id, claim_id) VALUES ($1, $2, $3)
                     ON CONFLICT DO NOTHING",
                    &[
                        Param::Text(photo),
                        Param::Text(&self.customer_id),
                        Param::Text(&self.claim_id),
                    ],
                )
                .await?;
        }
        Ok(true)
    }
}

/// Where a claim's money is counted in the running totals: its shop's and its
/// customer's UTC day (of the `now` it was decided at).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Counted {
    shop_id: String,
    customer_id: String,
    money_given: i64,
    utc_day: i64,
}

/// What moves in the running totals when `current` replaces `previous` (the claim's
/// last counted revision, if any): one change per total when the day stays the same,
/// else the old day's taken out and the new day's put in. Zero changes are left out.
fn total_changes<'a>(
    previous: Option<&'a Counted>,
    current: &'a Counted,
) -> Vec<(&'a Counted, i64)> {
    let changes = match previous {
        Some(previous) if previous.utc_day == current.utc_day => {
            vec![(
                current,
                current.money_given.saturating_sub(previous.money_given),
            )]
        }
        Some(previous) => vec![
            (previous, previous.money_given.saturating_neg()),
            (current, current.money_given),
        ],
        None => vec![(current, current.money_given)],
    };
    changes
        .into_iter()
        .filter(|(_, amount)| *amount != 0)
        .collect()
}

/// The answer stored under idempotency key `key`, if any, read on `store`.
pub(super) async fn read_reply<S: Statements>(
    store: &mut S,
    key: &str,
) -> Result<Option<StoredReply>, StoreError> {
    store
        .fetch_optional(
            "SELECT request_hash, response_json FROM decisions WHERE idempotency_key = $1",
            &[Param::Text(key)],
            |row| {
                Ok(StoredReply {
                    request_hash: row.text("request_hash")?,
                    response_json: row.text("response_json")?,
                })
            },
        )
        .await
}

/// A customer on the hard-fraud list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FraudListed {
    pub customer_id: String,
    pub reason: String,
    pub added_by: String,
    pub added_at_ms: i64,
}

/// What recording a decision came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    /// The decision is now in the ledger.
    New,
    /// Another decision holds this idempotency key already; nothing was written.
    Existing(StoredReply),
}

/// The stored answer under an idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredReply {
    pub request_hash: String,
    pub response_json: String,
}

/// A decision as the ledger holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDecision {
    pub decision_id: String,
    pub shop_id: String,
    pub module_digest: String,
    pub settings_version: u64,
    pub failure: Option<String>,
    pub failure_detail: Option<String>,
    pub guest_output: Option<String>,
    pub latency_us: u64,
    pub decided_at_ms: i64,
    pub request_json: String,
    pub response_json: String,
    pub history_json: String,
    pub signals_json: String,
    pub guardrails_json: String,
    pub settings_json: String,
    pub fraud_module_digest: String,
    pub fraud_settings_json: String,
    /// The id of the HTTP request that asked for it, if it was recorded.
    pub request_id: Option<String>,
    /// What the fraud screen answered (JSON), if it was recorded.
    pub assessment_json: Option<String>,
}

/// A decision's row (the columns of `stored_decision_columns!`) as the ledger holds it.
pub(super) fn stored_decision(row: &dyn Columns) -> Result<StoredDecision, StoreError> {
    Ok(StoredDecision {
        decision_id: row.text("decision_id")?,
        shop_id: row.text("shop_id")?,
        module_digest: row.text("module_digest")?,
        settings_version: to_u64(row.int("settings_version")?),
        failure: row.optional_text("failure")?,
        failure_detail: row.optional_text("failure_detail")?,
        guest_output: row.optional_text("guest_output")?,
        latency_us: to_u64(row.int("latency_us")?),
        decided_at_ms: row.int("decided_at_ms")?,
        request_json: row.text("request_json")?,
        response_json: row.text("response_json")?,
        history_json: row.text("history_json")?,
        signals_json: row.text("signals_json")?,
        guardrails_json: row.text("guardrails_json")?,
        settings_json: row.text("settings_json")?,
        fraud_module_digest: row.text("fraud_module_digest")?,
        fraud_settings_json: row.text("fraud_settings_json")?,
        request_id: row.optional_text("request_id")?,
        assessment_json: row.optional_text("assessment_json")?,
    })
}

/// A shop's current settings; version 0 is the policy's defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShopSettings {
    pub version: u64,
    pub settings_json: String,
}

impl ShopSettings {
    pub fn defaults() -> Self {
        Self {
            version: 0,
            settings_json: "{}".to_owned(),
        }
    }
}

/// An API token as stored (the secret's hash only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    pub token_id: String,
    pub role: String,
    pub shop_id: Option<String>,
    pub label: String,
}

impl Ledger {
    /// The answer stored under `key`, if any.
    pub async fn reply_for_key(&self, key: &str) -> Result<Option<StoredReply>, LedgerError> {
        let mut connection = self.pool().acquire().await?;
        Ok(read_reply(&mut *connection, key).await?)
    }

    /// Records a decision, the claim's latest state and its photos. Returns once they
    /// are committed (durable); concurrent records share one commit (see
    /// [`super::group_commit`]). If the idempotency key is taken (a concurrent twin
    /// won), nothing is written and the stored answer is returned.
    pub async fn record(&self, record: DecisionRecord<'_>) -> Result<Recorded, LedgerError> {
        let key = record.idempotency_key.to_owned();
        if self.commit(DecisionRow::from(record)).await? {
            return Ok(Recorded::New);
        }
        match self.reply_for_key(&key).await? {
            Some(reply) => Ok(Recorded::Existing(reply)),
            None => Err(LedgerError::Corrupt(format!(
                "idempotency key `{key}` conflicts but holds no decision"
            ))),
        }
    }

    /// A decision by id.
    pub async fn decision(&self, decision_id: &str) -> Result<Option<StoredDecision>, LedgerError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            stored_decision_columns!(),
            " FROM decisions WHERE decision_id = $1"
        ))
        .bind(decision_id)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.as_ref().map(|row| stored_decision(row)).transpose()?)
    }

    /// How many decisions the ledger holds.
    pub async fn decision_count(&self) -> Result<u64, LedgerError> {
        let row = sqlx::query("SELECT COUNT(*) FROM decisions")
            .fetch_one(self.pool())
            .await?;
        Ok(to_u64(row.try_get(0)?))
    }

    /// The shop's current settings: its active policy version (version 0 and `{}` when
    /// it never set any).
    pub async fn shop_settings(&self, shop_id: &str) -> Result<ShopSettings, LedgerError> {
        let active = self.shop_rollout(shop_id).await?.active;
        Ok(ShopSettings {
            version: active.version,
            settings_json: active.settings_json,
        })
    }

    /// The operator's spending caps (none set: no caps).
    pub async fn guardrails(&self) -> Result<Guardrails, LedgerError> {
        let row = sqlx::query("SELECT value_json FROM platform_settings WHERE name = 'guardrails'")
            .fetch_optional(self.pool())
            .await?;
        match row {
            Some(row) => serde_json::from_str(&row.try_get::<String, _>("value_json")?)
                .map_err(|error| LedgerError::Corrupt(format!("guardrails: {error}"))),
            None => Ok(Guardrails::default()),
        }
    }

    /// Replaces the operator's spending caps.
    pub async fn put_guardrails(
        &self,
        guardrails: &Guardrails,
        updated_by: &str,
        updated_at_ms: i64,
    ) -> Result<(), LedgerError> {
        let value = serde_json::to_string(guardrails)
            .map_err(|error| LedgerError::Corrupt(format!("guardrails: {error}")))?;
        let statement = sqlx::query(
            "INSERT INTO platform_settings (name, value_json, updated_by, updated_at_ms)
             VALUES ('guardrails', $1, $2, $3)
             ON CONFLICT (name) DO UPDATE SET value_json = excluded.value_json,
                 updated_by = excluded.updated_by, updated_at_ms = excluded.updated_at_ms",
        )
        .bind(value)
        .bind(updated_by)
        .bind(updated_at_ms);
        self.write_statement(statement).await?;
        self.config_changed().await
    }

    /// Puts a customer on the hard-fraud list (or updates the reason).
    pub async fn add_to_fraud_list(
        &self,
        customer_id: &str,
        reason: &str,
        added_by: &str,
        added_at_ms: i64,
    ) -> Result<(), LedgerError> {
        let statement = sqlx::query(
            "INSERT INTO fraud_list (customer_id, reason, added_by, added_at_ms)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (customer_id) DO UPDATE SET
                 reason = excluded.reason, added_by = excluded.added_by,
                 added_at_ms = excluded.added_at_ms",
        )
        .bind(customer_id)
        .bind(reason)
        .bind(added_by)
        .bind(added_at_ms);
        self.write_statement(statement).await?;
        Ok(())
    }

    /// The hard-fraud list, newest first, at most `limit` entries.
    pub async fn fraud_list(&self, limit: u32) -> Result<Vec<FraudListed>, LedgerError> {
        let rows = sqlx::query(
            "SELECT customer_id, reason, added_by, added_at_ms FROM fraud_list
             ORDER BY added_at_ms DESC, customer_id LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(FraudListed {
                    customer_id: row.try_get("customer_id")?,
                    reason: row.try_get("reason")?,
                    added_by: row.try_get("added_by")?,
                    added_at_ms: row.try_get("added_at_ms")?,
                })
            })
            .collect()
    }

    /// Takes a customer off the hard-fraud list; false when they were not on it.
    pub async fn remove_from_fraud_list(&self, customer_id: &str) -> Result<bool, LedgerError> {
        let statement =
            sqlx::query("DELETE FROM fraud_list WHERE customer_id = $1").bind(customer_id);
        Ok(self.write_statement(statement).await? > 0)
    }

    /// Stores a new token under the hash of its secret.
    pub async fn create_token(
        &self,
        token_hash: &str,
        token: &TokenRecord,
        created_by: &str,
        created_at_ms: i64,
    ) -> Result<(), LedgerError> {
        let statement = sqlx::query(
            "INSERT INTO tokens (token_hash, token_id, role, shop_id, label, created_by, created_at_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(token_hash)
        .bind(&token.token_id)
        .bind(&token.role)
        .bind(&token.shop_id)
        .bind(&token.label)
        .bind(created_by)
        .bind(created_at_ms);
        self.write_statement(statement).await?;
        Ok(())
    }

    /// The token whose secret hashes to `token_hash`.
    pub async fn token(&self, token_hash: &str) -> Result<Option<TokenRecord>, LedgerError> {
        let row =
            sqlx::query("SELECT token_id, role, shop_id, label FROM tokens WHERE token_hash = $1")
                .bind(token_hash)
                .fetch_optional(self.pool())
                .await?;
        row.map(|row| {
            Ok(TokenRecord {
                token_id: row.try_get("token_id")?,
                role: row.try_get("role")?,
                shop_id: row.try_get("shop_id")?,
                label: row.try_get("label")?,
            })
        })
        .transpose()
    }
}

/// Serializes what the ledger stores as JSON text.
mod erased_json {
    pub trait Json {
        fn to_json(&self) -> String;
    }

    impl<T: serde::Serialize + ?Sized> Json for T {
        fn to_json(&self) -> String {
            serde_json::to_string(self).unwrap_or_default()
        }
    }
}
