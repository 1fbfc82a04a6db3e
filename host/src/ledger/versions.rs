//! A shop's numbered policy versions and their rollout: the active version, and a
//! shadow or canary candidate beside it.

use sqlx::any::AnyRow;
use sqlx::{Connection as _, Row};

use super::{Ledger, LedgerError, stored_digest, to_i64, to_u64};
use crate::engine::ModuleDigest;

/// One numbered version of a shop's policy: a module (none: the platform's default)
/// and settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyVersion {
    pub version: u64,
    pub module_digest: Option<ModuleDigest>,
    pub settings_json: String,
    pub created_by: String,
    pub created_at_ms: i64,
}

/// The module a policy version runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionModule<'a> {
    /// The platform's default compensation module (whichever it is when deciding).
    PlatformDefault,
    /// An uploaded module, by digest.
    Uploaded(&'a ModuleDigest),
}

impl<'a> VersionModule<'a> {
    /// The module a version's stored digest names (none: the platform's default).
    pub fn stored(digest: Option<&'a ModuleDigest>) -> Self {
        digest.map_or(Self::PlatformDefault, Self::Uploaded)
    }

    fn digest(self) -> Option<&'a ModuleDigest> {
        match self {
            Self::PlatformDefault => None,
            Self::Uploaded(digest) => Some(digest),
        }
    }
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

fn default_version() -> PolicyVersion {
    PolicyVersion {
        version: 0,
        module_digest: None,
        settings_json: "{}".to_owned(),
        created_by: "platform".to_owned(),
        created_at_ms: 0,
    }
}

fn version_from_row(row: &AnyRow) -> Result<PolicyVersion, LedgerError> {
    Ok(PolicyVersion {
        version: to_u64(row.try_get("version")?),
        module_digest: row
            .try_get::<Option<String>, _>("module_digest")?
            .as_deref()
            .map(stored_digest)
            .transpose()?,
        settings_json: row.try_get("settings_json")?,
        created_by: row.try_get("created_by")?,
        created_at_ms: row.try_get("created_at_ms")?,
    })
}

impl Ledger {
    /// What the shop runs: its active version and candidate, if any.
    pub async fn shop_rollout(&self, shop_id: &str) -> Result<ShopRollout, LedgerError> {
        let Some(rollout) = sqlx::query(
            "SELECT active_version, candidate_version, candidate_mode, canary_basis_points
             FROM shop_rollouts WHERE shop_id = $1",
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
                        .try_get::<Option<i64>, _>("canary_basis_points")?
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
             FROM policy_versions WHERE shop_id = $1 AND version = $2",
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
             FROM policy_versions WHERE shop_id = $1 ORDER BY version DESC LIMIT 1",
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
             FROM policy_versions WHERE shop_id = $1 ORDER BY version",
        )
        .bind(shop_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(version_from_row).collect()
    }

    /// Adds a version running `module` and rolls it out as `rollout`, in one
    /// transaction. Returns the new version.
    pub async fn add_policy_version(
        &self,
        shop_id: &str,
        module: VersionModule<'_>,
        settings_json: &str,
        rollout: Rollout,
        created_by: &str,
        created_at_ms: i64,
    ) -> Result<PolicyVersion, LedgerError> {
        let mut writer = self.write_connection().await?;
        let written = async {
            let mut tx = writer.connection().begin().await?;
            self.lock_config(&mut tx).await?;
            // What is active is read inside the transaction, on the one writer connection, so
            // no other change lands between this read and the write: a shadow or canary added
            // beside a concurrent activation must not put the older active version back.
            let active_version: i64 = sqlx::query(
                "SELECT COALESCE(
                     (SELECT active_version FROM shop_rollouts WHERE shop_id = $1),
                     (SELECT MAX(version) FROM policy_versions WHERE shop_id = $1),
                     0) AS active_version",
            )
            .bind(shop_id)
            .fetch_one(&mut *tx)
            .await?
            .try_get("active_version")?;
            let module = module.digest().cloned();
            let row = sqlx::query(
                "INSERT INTO policy_versions (shop_id, version, settings_json, created_by, created_at_ms, module_digest)
                 SELECT $1, COALESCE(MAX(version), 0) + 1, $2, $3, $4, $5
                 FROM policy_versions WHERE shop_id = $1
                 RETURNING version",
            )
            .bind(shop_id)
            .bind(settings_json)
            .bind(created_by)
            .bind(created_at_ms)
            .bind(module.as_ref().map(ModuleDigest::as_str))
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
                        "SELECT candidate_version, candidate_mode, canary_basis_points
                         FROM shop_rollouts WHERE shop_id = $1",
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
                            row.try_get::<Option<i64>, _>("canary_basis_points")?,
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
        let version = writer.done(written)?;
        self.config_changed().await?;
        Ok(version)
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
        let version = writer.done(written)?;
        self.config_changed().await?;
        Ok(version)
    }

    /// Makes the candidate the active version; none when there is no candidate.
    pub async fn promote(
        &self,
        shop_id: &str,
        at_ms: i64,
    ) -> Result<Option<PolicyVersion>, LedgerError> {
        // One statement reads and changes the rollout, so the candidate promoted is the
        // one stored at that moment, whatever another host did just before.
        let statement = sqlx::query(
            "UPDATE shop_rollouts SET active_version = candidate_version,
                 candidate_version = NULL, candidate_mode = NULL, canary_basis_points = NULL,
                 updated_at_ms = $2
             WHERE shop_id = $1 AND candidate_version IS NOT NULL
             RETURNING active_version",
        )
        .bind(shop_id)
        .bind(at_ms);
        let mut writer = self.write_connection().await?;
        let promoted = statement.fetch_optional(writer.connection()).await;
        let promoted = writer.done(promoted.map_err(LedgerError::from))?;
        let Some(row) = promoted else {
            return Ok(None);
        };
        self.config_changed().await?;
        let version = to_u64(row.try_get("active_version")?);
        match self.policy_version(shop_id, version).await? {
            Some(version) => Ok(Some(version)),
            None => Err(LedgerError::Corrupt(format!(
                "shop `{shop_id}` promoted version {version}, which is not stored"
            ))),
        }
    }
}

async fn upsert_rollout(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    shop_id: &str,
    active: i64,
    candidate: Option<i64>,
    mode: Option<&str>,
    percent: Option<i64>,
    at_ms: i64,
) -> Result<(), LedgerError> {
    sqlx::query(
        "INSERT INTO shop_rollouts (shop_id, active_version, candidate_version, candidate_mode,
             canary_basis_points, updated_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (shop_id) DO UPDATE SET active_version = excluded.active_version,
             candidate_version = excluded.candidate_version,
             candidate_mode = excluded.candidate_mode,
             canary_basis_points = excluded.canary_basis_points,
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
