//! Modules, shop policy versions and rollouts, platform policies, shadow decisions and
//! the audit trail.

use std::sync::{Mutex, PoisonError};

use sqlx::{Connection as _, Row};

use super::{Ledger, LedgerError, to_i64, to_u64};

/// A module as stored (without its bytes).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ModuleRecord {
    pub digest: String,
    pub world: String,
    pub size: u64,
    pub name: String,
    pub version: String,
    pub metadata_json: String,
    pub schema_json: String,
    pub uploaded_by: String,
    pub uploaded_at_ms: i64,
}

/// One numbered version of a shop's policy: a module (none: the platform's default)
/// and settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyVersion {
    pub version: u64,
    pub module_digest: Option<String>,
    pub settings_json: String,
    pub created_by: String,
    pub created_at_ms: i64,
}

/// How a version is rolled out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rollout {
    /// Serves every claim.
    Active,
    /// Runs beside the active version on every claim; recorded, never returned.
    Shadow,
    /// Serves this share of claims, in hundredths of a percent (1000 = 10%).
    Canary { basis_points: u32 },
}

/// What a shop runs now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShopRollout {
    /// The active version; version 0 (defaults, the platform's module) when never set.
    pub active: PolicyVersion,
    pub candidate: Option<(PolicyVersion, Rollout)>,
}

/// An entry of the audit trail.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuditEntry {
    pub audit_id: String,
    pub at_ms: i64,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub detail: serde_json::Value,
}

fn default_version() -> PolicyVersion {
    PolicyVersion {
        version: 0,
        module_digest: None,
        settings_json: "{}".to_owned(),
        created_by: "platform".to_owned(),
        created_at_ms: 0,
    }
}

fn version_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<PolicyVersion, LedgerError> {
    Ok(PolicyVersion {
        version: to_u64(row.try_get("version")?),
        module_digest: row.try_get("module_digest")?,
        settings_json: row.try_get("settings_json")?,
        created_by: row.try_get("created_by")?,
        created_at_ms: row.try_get("created_at_ms")?,
    })
}

impl Ledger {
    /// Stores a module and lets `scope` (a shop id, or `*` for all) use it. Storing the
    /// same digest again only adds the scope.
    pub async fn store_module(
        &self,
        record: &ModuleRecord,
        bytes: &[u8],
        scope: &str,
    ) -> Result<(), LedgerError> {
        let mut writer = self.write_connection().await?;
        let written = async {
            let mut tx = writer.connection().begin().await?;
            sqlx::query(
                "INSERT INTO modules (digest, world, size, name, version, metadata_json, schema_json,
                     bytes, uploaded_by, uploaded_at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
                 ON CONFLICT (digest) DO NOTHING",
            )
            .bind(&record.digest)
            .bind(&record.world)
            .bind(to_i64(record.size))
            .bind(&record.name)
            .bind(&record.version)
            .bind(&record.metadata_json)
            .bind(&record.schema_json)
            .bind(bytes)
            .bind(&record.uploaded_by)
            .bind(record.uploaded_at_ms)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO module_scopes (digest, scope) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
            )
            .bind(&record.digest)
            .bind(scope)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok::<_, LedgerError>(())
        }
        .await;
        writer.done(written)
    }

    /// A module's record, if `scope` may use it (`None` scope: anyone, for operators).
    pub async fn module(
        &self,
        digest: &str,
        scope: Option<&str>,
    ) -> Result<Option<ModuleRecord>, LedgerError> {
        let row = sqlx::query(
            "SELECT digest, world, size, name, version, metadata_json, schema_json, uploaded_by,
                    uploaded_at_ms
             FROM modules m
             WHERE digest = ?1 AND (?2 IS NULL OR EXISTS (
                 SELECT 1 FROM module_scopes s WHERE s.digest = m.digest AND s.scope IN ('*', ?2)))",
        )
        .bind(digest)
        .bind(scope)
        .fetch_optional(self.pool())
        .await?;
        row.map(|row| module_from_row(&row)).transpose()
    }

    /// The modules `scope` may use (`None`: all), newest first.
    pub async fn modules(&self, scope: Option<&str>) -> Result<Vec<ModuleRecord>, LedgerError> {
        let rows = sqlx::query(
            "SELECT digest, world, size, name, version, metadata_json, schema_json, uploaded_by,
                    uploaded_at_ms
             FROM modules m
             WHERE ?1 IS NULL OR EXISTS (
                 SELECT 1 FROM module_scopes s WHERE s.digest = m.digest AND s.scope IN ('*', ?1))
             ORDER BY uploaded_at_ms DESC, digest",
        )
        .bind(scope)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(module_from_row).collect()
    }

    /// A module's component bytes.
    pub async fn module_bytes(&self, digest: &str) -> Result<Option<Vec<u8>>, LedgerError> {
        let row = sqlx::query("SELECT bytes FROM modules WHERE digest = ?1")
            .bind(digest)
            .fetch_optional(self.pool())
            .await?;
        row.map(|row| Ok(row.try_get("bytes")?)).transpose()
    }

    /// What the shop runs: its active version and candidate, if any.
    pub async fn shop_rollout(&self, shop_id: &str) -> Result<ShopRollout, LedgerError> {
        let Some(rollout) = sqlx::query(
            "SELECT active_version, candidate_version, candidate_mode, canary_percent
             FROM shop_rollouts WHERE shop_id = ?1",
        )
        .bind(shop_id)
        .fetch_optional(self.pool())
        .await?
        else {
            // Shops from before rollouts existed: their newest settings version is active.
            let latest = self.latest_version(shop_id).await?;
            return Ok(ShopRollout {
                active: latest.unwrap_or_else(default_version),
                candidate: None,
            });
        };
        let active_version = to_u64(rollout.try_get("active_version")?);
        let active = self
            .policy_version(shop_id, active_version)
            .await?
            .unwrap_or_else(default_version);
        let candidate = match rollout.try_get::<Option<i64>, _>("candidate_version")? {
            Some(version) => {
                let mode: Option<String> = rollout.try_get("candidate_mode")?;
                let basis_points = u32::try_from(
                    rollout
                        .try_get::<Option<i64>, _>("canary_percent")?
                        .unwrap_or(0),
                )
                .unwrap_or(0);
                let rollout = match mode.as_deref() {
                    Some("canary") => Rollout::Canary { basis_points },
                    _ => Rollout::Shadow,
                };
                self.policy_version(shop_id, to_u64(version))
                    .await?
                    .map(|version| (version, rollout))
            }
            None => None,
        };
        Ok(ShopRollout { active, candidate })
    }

    /// One version of the shop's policy.
    pub async fn policy_version(
        &self,
        shop_id: &str,
        version: u64,
    ) -> Result<Option<PolicyVersion>, LedgerError> {
        let row = sqlx::query(
            "SELECT version, module_digest, settings_json, created_by, created_at_ms
             FROM shop_settings WHERE shop_id = ?1 AND version = ?2",
        )
        .bind(shop_id)
        .bind(to_i64(version))
        .fetch_optional(self.pool())
        .await?;
        row.map(|row| version_from_row(&row)).transpose()
    }

    async fn latest_version(&self, shop_id: &str) -> Result<Option<PolicyVersion>, LedgerError> {
        let row = sqlx::query(
            "SELECT version, module_digest, settings_json, created_by, created_at_ms
             FROM shop_settings WHERE shop_id = ?1 ORDER BY version DESC LIMIT 1",
        )
        .bind(shop_id)
        .fetch_optional(self.pool())
        .await?;
        row.map(|row| version_from_row(&row)).transpose()
    }

    /// Every version of the shop's policy, oldest first.
    pub async fn policy_versions(&self, shop_id: &str) -> Result<Vec<PolicyVersion>, LedgerError> {
        let rows = sqlx::query(
            "SELECT version, module_digest, settings_json, created_by, created_at_ms
             FROM shop_settings WHERE shop_id = ?1 ORDER BY version",
        )
        .bind(shop_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(version_from_row).collect()
    }

    /// Adds a version (`module_digest` none: keep the active version's module) and rolls
    /// it out as `rollout`, in one transaction. Returns the new version.
    pub async fn add_policy_version(
        &self,
        shop_id: &str,
        module_digest: Option<Option<&str>>,
        settings_json: &str,
        rollout: Rollout,
        created_by: &str,
        created_at_ms: i64,
    ) -> Result<PolicyVersion, LedgerError> {
        let mut writer = self.write_connection().await?;
        let written = async {
            let mut tx = writer.connection().begin().await?;
            // What is active is read inside the transaction, on the one writer connection, so
            // no other change lands between this read and the write: a shadow or canary added
            // beside a concurrent activation must not put the older active version back.
            let active_version: i64 = sqlx::query(
                "SELECT COALESCE(
                     (SELECT active_version FROM shop_rollouts WHERE shop_id = ?1),
                     (SELECT MAX(version) FROM shop_settings WHERE shop_id = ?1),
                     0) AS active_version",
            )
            .bind(shop_id)
            .fetch_one(&mut *tx)
            .await?
            .try_get("active_version")?;
            let module = match module_digest {
                Some(module) => module.map(str::to_owned),
                None => sqlx::query(
                    "SELECT module_digest FROM shop_settings WHERE shop_id = ?1 AND version = ?2",
                )
                .bind(shop_id)
                .bind(active_version)
                .fetch_optional(&mut *tx)
                .await?
                .map(|row| row.try_get::<Option<String>, _>("module_digest"))
                .transpose()?
                .flatten(),
            };
            let row = sqlx::query(
                "INSERT INTO shop_settings (shop_id, version, settings_json, created_by, created_at_ms, module_digest)
                 SELECT ?1, COALESCE(MAX(version), 0) + 1, ?2, ?3, ?4, ?5
                 FROM shop_settings WHERE shop_id = ?1
                 RETURNING version",
            )
            .bind(shop_id)
            .bind(settings_json)
            .bind(created_by)
            .bind(created_at_ms)
            .bind(&module)
            .fetch_one(&mut *tx)
            .await?;
            let version: i64 = row.try_get("version")?;
            let active = match rollout {
                Rollout::Active => version,
                _ => active_version,
            };
            let (candidate, mode, percent) = match rollout {
                // A new active version (a settings change, say) leaves a running shadow or
                // canary in place.
                Rollout::Active => {
                    let current = sqlx::query(
                        "SELECT candidate_version, candidate_mode, canary_percent
                         FROM shop_rollouts WHERE shop_id = ?1",
                    )
                    .bind(shop_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                    match current {
                        Some(row) => (
                            row.try_get::<Option<i64>, _>("candidate_version")?,
                            match row
                                .try_get::<Option<String>, _>("candidate_mode")?
                                .as_deref()
                            {
                                Some("canary") => Some("canary"),
                                Some(_) => Some("shadow"),
                                None => None,
                            },
                            row.try_get::<Option<i64>, _>("canary_percent")?,
                        ),
                        None => (None, None, None),
                    }
                }
                Rollout::Shadow => (Some(version), Some("shadow"), None),
                Rollout::Canary { basis_points } => {
                    (Some(version), Some("canary"), Some(i64::from(basis_points)))
                }
            };
            upsert_rollout(
                &mut tx,
                shop_id,
                active,
                candidate,
                mode,
                percent,
                created_at_ms,
            )
            .await?;
            tx.commit().await?;
            Ok::<_, LedgerError>(PolicyVersion {
                version: to_u64(version),
                module_digest: module,
                settings_json: settings_json.to_owned(),
                created_by: created_by.to_owned(),
                created_at_ms,
            })
        }
        .await;
        writer.done(written)
    }

    /// Makes version `to` active again (0: the platform's defaults) and drops any
    /// candidate.
    pub async fn rollback(
        &self,
        shop_id: &str,
        to: u64,
        at_ms: i64,
    ) -> Result<Option<PolicyVersion>, LedgerError> {
        let version = match to {
            0 => default_version(),
            _ => match self.policy_version(shop_id, to).await? {
                Some(version) => version,
                None => return Ok(None),
            },
        };
        let mut writer = self.write_connection().await?;
        let written = async {
            let mut tx = writer.connection().begin().await?;
            upsert_rollout(&mut tx, shop_id, to_i64(to), None, None, None, at_ms).await?;
            tx.commit().await?;
            Ok::<_, LedgerError>(Some(version))
        }
        .await;
        writer.done(written)
    }

    /// Makes the candidate the active version; none when there is no candidate.
    pub async fn promote(
        &self,
        shop_id: &str,
        at_ms: i64,
    ) -> Result<Option<PolicyVersion>, LedgerError> {
        let Some((candidate, _)) = self.shop_rollout(shop_id).await?.candidate else {
            return Ok(None);
        };
        let mut writer = self.write_connection().await?;
        let written = async {
            let mut tx = writer.connection().begin().await?;
            upsert_rollout(
                &mut tx,
                shop_id,
                to_i64(candidate.version),
                None,
                None,
                None,
                at_ms,
            )
            .await?;
            tx.commit().await?;
            Ok::<_, LedgerError>(Some(candidate))
        }
        .await;
        writer.done(written)
    }

    /// Records what a shadow version decided beside the answered decision.
    pub async fn record_shadow(
        &self,
        decision_id: &str,
        module_digest: &str,
        settings_version: u64,
        outcome: &str,
        failure: Option<&str>,
        response_json: &str,
    ) -> Result<(), LedgerError> {
        let statement = sqlx::query(
            "INSERT INTO shadow_decisions (decision_id, module_digest, settings_version, outcome,
                 failure, response_json)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
        )
        .bind(decision_id)
        .bind(module_digest)
        .bind(to_i64(settings_version))
        .bind(outcome)
        .bind(failure)
        .bind(response_json);
        self.write_statement(statement).await?;
        Ok(())
    }

    /// The shadow decisions recorded beside `decision_id`, as response JSON.
    pub async fn shadow_decisions(&self, decision_id: &str) -> Result<Vec<String>, LedgerError> {
        let rows = sqlx::query(
            "SELECT response_json FROM shadow_decisions WHERE decision_id = ?1 ORDER BY module_digest",
        )
        .bind(decision_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| Ok(row.try_get("response_json")?))
            .collect()
    }

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
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
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
             ORDER BY at_ms DESC, audit_id DESC LIMIT ?1",
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

    /// A platform policy (`compensation` default or `fraud_screen`): module digest (none:
    /// the built-in) and settings.
    pub async fn platform_policy(
        &self,
        name: &str,
    ) -> Result<(Option<String>, String), LedgerError> {
        let row = sqlx::query("SELECT value_json FROM platform_settings WHERE name = ?1")
            .bind(format!("policy:{name}"))
            .fetch_optional(self.pool())
            .await?;
        let Some(row) = row else {
            return Ok((None, "{}".to_owned()));
        };
        let value: serde_json::Value =
            serde_json::from_str(&row.try_get::<String, _>("value_json")?).map_err(|error| {
                LedgerError::Corrupt(format!("platform policy {name}: {error}"))
            })?;
        Ok((
            value["module"].as_str().map(str::to_owned),
            value["settings"].to_string(),
        ))
    }

    /// Sets a platform policy.
    pub async fn put_platform_policy(
        &self,
        name: &str,
        module: Option<&str>,
        settings_json: &str,
        updated_by: &str,
        updated_at_ms: i64,
    ) -> Result<(), LedgerError> {
        let settings: serde_json::Value = serde_json::from_str(settings_json)
            .map_err(|error| LedgerError::Corrupt(format!("settings: {error}")))?;
        let value = serde_json::json!({"module": module, "settings": settings});
        let statement = sqlx::query(
            "INSERT INTO platform_settings (name, value_json, updated_by, updated_at_ms)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (name) DO UPDATE SET value_json = excluded.value_json,
                 updated_by = excluded.updated_by, updated_at_ms = excluded.updated_at_ms",
        )
        .bind(format!("policy:{name}"))
        .bind(value.to_string())
        .bind(updated_by)
        .bind(updated_at_ms);
        self.write_statement(statement).await?;
        Ok(())
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

async fn upsert_rollout(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    shop_id: &str,
    active: i64,
    candidate: Option<i64>,
    mode: Option<&str>,
    percent: Option<i64>,
    at_ms: i64,
) -> Result<(), LedgerError> {
    sqlx::query(
        "INSERT INTO shop_rollouts (shop_id, active_version, candidate_version, candidate_mode,
             canary_percent, updated_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (shop_id) DO UPDATE SET active_version = excluded.active_version,
             candidate_version = excluded.candidate_version,
             candidate_mode = excluded.candidate_mode,
             canary_percent = excluded.canary_percent,
             updated_at_ms = excluded.updated_at_ms",
    )
    .bind(shop_id)
    .bind(active)
    .bind(candidate)
    .bind(mode)
    .bind(percent)
    .bind(at_ms)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn module_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<ModuleRecord, LedgerError> {
    Ok(ModuleRecord {
        digest: row.try_get("digest")?,
        world: row.try_get("world")?,
        size: to_u64(row.try_get("size")?),
        name: row.try_get("name")?,
        version: row.try_get("version")?,
        metadata_json: row.try_get("metadata_json")?,
        schema_json: row.try_get("schema_json")?,
        uploaded_by: row.try_get("uploaded_by")?,
        uploaded_at_ms: row.try_get("uploaded_at_ms")?,
    })
}

/// What happens to a claim when the shop's module fails.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailurePolicy {
    /// Office staff decide (the default).
    #[default]
    FailClosed,
    /// The platform's default policy decides instead.
    FallbackToPlatformDefault,
}

impl Ledger {
    /// The shop's failure policy.
    pub async fn failure_policy(&self, shop_id: &str) -> Result<FailurePolicy, LedgerError> {
        let row = sqlx::query("SELECT policy FROM shop_failure_policies WHERE shop_id = ?1")
            .bind(shop_id)
            .fetch_optional(self.pool())
            .await?;
        match row {
            Some(row) => super::parse_label(&row.try_get::<String, _>("policy")?),
            None => Ok(FailurePolicy::default()),
        }
    }

    /// Sets the shop's failure policy.
    pub async fn put_failure_policy(
        &self,
        shop_id: &str,
        policy: FailurePolicy,
        updated_by: &str,
        updated_at_ms: i64,
    ) -> Result<(), LedgerError> {
        let statement = sqlx::query(
            "INSERT INTO shop_failure_policies (shop_id, policy, updated_by, updated_at_ms)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (shop_id) DO UPDATE SET policy = excluded.policy,
                 updated_by = excluded.updated_by, updated_at_ms = excluded.updated_at_ms",
        )
        .bind(shop_id)
        .bind(super::label(&policy))
        .bind(updated_by)
        .bind(updated_at_ms);
        self.write_statement(statement).await?;
        Ok(())
    }

    /// Counts one failure of `kind` (`guest_timeout`, ...) against module `digest`.
    pub async fn count_failure(
        &self,
        digest: &str,
        kind: &str,
        at_ms: i64,
    ) -> Result<(), LedgerError> {
        let statement = sqlx::query(
            "INSERT INTO module_failures (digest, kind, count, last_at_ms) VALUES (?1, ?2, 1, ?3)
             ON CONFLICT (digest, kind) DO UPDATE SET count = module_failures.count + 1,
                 last_at_ms = excluded.last_at_ms",
        )
        .bind(digest)
        .bind(kind)
        .bind(at_ms);
        self.write_statement(statement).await?;
        Ok(())
    }

    /// How often module `digest` failed, by kind.
    pub async fn module_failures(
        &self,
        digest: &str,
    ) -> Result<std::collections::BTreeMap<String, u64>, LedgerError> {
        let rows = sqlx::query("SELECT kind, count FROM module_failures WHERE digest = ?1")
            .bind(digest)
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("kind")?, to_u64(row.try_get("count")?))))
            .collect()
    }
}
