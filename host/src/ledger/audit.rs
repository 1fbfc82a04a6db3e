//! The audit trail: who changed what, when.

use std::sync::{Mutex, PoisonError};

use sqlx::Row;

use super::{Ledger, LedgerError};

/// An entry of the audit trail.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub audit_id: String,
    /// When, in milliseconds since the Unix epoch.
    pub at_ms: i64,
    /// `operator`, `seller:<token id>`, `marketplace:<token id>` or `rollout` (an
    /// automatic rollout step).
    pub actor: String,
    /// What changed: `settings.update`, `module.upload`, `policy.set`,
    /// `policy.rollback`, `policy.promote`, `policy.failure_policy`,
    /// `policy.rollout.step`, `policy.rollout.promote`, `policy.rollout.rollback`,
    /// `platform.policy`. A string, so a new kind of change never breaks a client.
    pub action: String,
    /// Whose: a shop id, a module digest, a platform policy's name.
    pub subject: String,
    /// The change itself (versions, modules, figures).
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
}

impl Ledger {
    /// Appends to the audit trail.
    pub async fn audit(
        &self,
        actor: &str,
        action: &str,
        subject: &str,
        detail: &serde_json::Value,
        at_ms: i64,
    ) -> Result<(), LedgerError> {
        let statement = sqlx::query(
            "INSERT INTO audit (audit_id, at_ms, actor, action, subject, detail)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(next_audit_id())
        .bind(at_ms)
        .bind(actor)
        .bind(action)
        .bind(subject)
        .bind(detail.to_string());
        self.write_statement(statement).await?;
        Ok(())
    }

    /// The newest `limit` audit entries, newest first.
    pub async fn audit_entries(&self, limit: u32) -> Result<Vec<AuditEntry>, LedgerError> {
        let rows = sqlx::query(
            "SELECT audit_id, at_ms, actor, action, subject, detail FROM audit
             ORDER BY at_ms DESC, audit_id DESC LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(AuditEntry {
                    audit_id: row.try_get("audit_id")?,
                    at_ms: row.try_get("at_ms")?,
                    actor: row.try_get("actor")?,
                    action: row.try_get("action")?,
                    subject: row.try_get("subject")?,
                    detail: serde_json::from_str(&row.try_get::<String, _>("detail")?)
                        .unwrap_or(serde_json::Value::Null),
                })
            })
            .collect()
    }
}

/// The next audit id: increasing within this process, so that entries written within
/// one millisecond keep their order (a fresh ULID's random part would shuffle them).
fn next_audit_id() -> String {
    static IDS: Mutex<ulid::Generator> = Mutex::new(ulid::Generator::new());
    let id = IDS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .generate()
        .unwrap_or_else(|_| ulid::Ulid::new());
    format!("a-{id}")
}
