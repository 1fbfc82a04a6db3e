//! A shop's numbered policy versions and their rollout: the active version, and a
//! shadow or canary candidate beside it.

use sqlx::any::AnyRow;
use sqlx::{Connection as _, Row};

use super::rollouts::{
    end_running_rollout, no_candidate, plan_from_json, plan_to_json, start_rollout,
};
use super::{Ledger, LedgerError, stored_digest, to_i64, to_u64};
use crate::engine::ModuleDigest;
use crate::progressive::ProgressivePlan;

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
#[derive(Debug, Clone, PartialEq)]
pub enum Rollout {
    /// Serves every claim.
    Active,
    /// Runs beside the active version on every claim; recorded, never returned.
    Shadow,
    /// Serves this share of claims, in hundredths of a percent (1000 = 10%).
    Canary { basis_points: u32 },
    /// Serves the share of `plan`'s step `step`, moving on (or back) by itself.
    Progressive { plan: ProgressivePlan, step: usize },
}

impl Rollout {
    /// The share of claims a candidate rolled out so serves, in hundredths of a percent
    /// (none: it serves none, or all when active).
    pub fn basis_points(&self) -> Option<u32> {
        match self {
            Self::Active | Self::Shadow => None,
            Self::Canary { basis_points } => Some(*basis_points),
            Self::Progressive { plan, step } => Some(plan.basis_points(*step)),
        }
    }

    /// The mode's name, as stored and as the API shows it.
    pub fn mode(&self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Shadow => "shadow",
            Self::Canary { .. } => "canary",
            Self::Progressive { .. } => "progressive",
        }
    }
}

/// What a shop runs now.
#[derive(Debug, Clone, PartialEq)]
pub struct ShopRollout {
    /// The active version; version 0 (defaults, the platform's module) when never set.
    pub active: PolicyVersion,
    pub candidate: Option<(PolicyVersion, Rollout)>,
    /// The rollout tracking the candidate (none for candidates from before tracking).
    pub rollout_id: Option<String>,
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
            "SELECT active_version, candidate_version, candidate_mode, canary_basis_points,
                 rollout_id, plan_json, step
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
                rollout_id: None,
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
                    Some("progressive") => progressive(&rollout)?,
                    _ => Rollout::Shadow,
                };
                self.policy_version(shop_id, to_u64(version))
                    .await?
                    .map(|version| (version, rollout))
            }
            None => None,
        };
        let rollout_id = match candidate {
            Some(_) => rollout.try_get("rollout_id")?,
            None => None,
        };
        Ok(ShopRollout {
            active,
            candidate,
            rollout_id,
        })
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
        rollout: &Rollout,
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
            match rollout {
                // A new active version (a settings change, say) leaves a running shadow,
                // canary or progressive rollout in place.
                Rollout::Active => {
                    sqlx::query(
                        "INSERT INTO shop_rollouts (shop_id, active_version, updated_at_ms)
                         VALUES ($1, $2, $3)
                         ON CONFLICT (shop_id) DO UPDATE SET
                             active_version = excluded.active_version,
                             updated_at_ms = excluded.updated_at_ms",
                    )
                    .bind(shop_id)
                    .bind(version)
                    .bind(created_at_ms)
                    .execute(&mut *tx)
                    .await?;
                }
                candidate => {
                    let plan_json = match candidate {
                        Rollout::Progressive { plan, .. } => Some(plan_to_json(plan)?),
                        _ => None,
                    };
                    end_running_rollout(
                        &mut tx,
                        shop_id,
                        "replaced",
                        &serde_json::json!({"by": created_by, "replaced_by_version": version}),
                        created_at_ms,
                    )
                    .await?;
                    let rollout_id =
                        start_rollout(
                            &mut tx,
                            shop_id,
                            to_u64(version),
                            (candidate.mode(), plan_json.as_deref()),
                            created_by,
                            created_at_ms,
                        )
                        .await?;
                    upsert_rollout(
                        &mut tx,
                        shop_id,
                        active_version,
                        Some(Candidate {
                            version,
                            rollout,
                            rollout_id: &rollout_id,
                            plan_json: plan_json.as_deref(),
                        }),
                        created_at_ms,
                    )
                    .await?;
                }
            }
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
        by: &str,
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
            end_running_rollout(
                &mut tx,
                shop_id,
                "rolled_back",
                &serde_json::json!({"by": by, "to_version": to}),
                at_ms,
            )
            .await?;
            upsert_rollout(&mut tx, shop_id, to_i64(to), None, at_ms).await?;
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
        by: &str,
        at_ms: i64,
    ) -> Result<Option<PolicyVersion>, LedgerError> {
        let mut writer = self.write_connection().await?;
        let promoted = async {
            let mut tx = writer.connection().begin().await?;
            // The rollout that ends is named before the shop's row forgets it.
            end_running_rollout(
                &mut tx,
                shop_id,
                "promoted",
                &serde_json::json!({"by": by}),
                at_ms,
            )
            .await?;
            // One statement reads and changes the rollout, so the candidate promoted is
            // the one stored at that moment, whatever another host did just before.
            let rows = sqlx::query(concat!(
                "UPDATE shop_rollouts SET active_version = candidate_version, ",
                no_candidate!(),
                ", updated_at_ms = $2
                 WHERE shop_id = $1 AND candidate_version IS NOT NULL
                 RETURNING active_version"
            ))
            .bind(shop_id)
            .bind(at_ms)
            .fetch_all(&mut *tx)
            .await?;
            let Some(row) = rows.first() else {
                tx.rollback().await?;
                return Ok(None);
            };
            let version: i64 = row.try_get("active_version")?;
            tx.commit().await?;
            Ok::<_, LedgerError>(Some(to_u64(version)))
        }
        .await;
        let Some(version) = writer.done(promoted)? else {
            return Ok(None);
        };
        self.config_changed().await?;
        match self.policy_version(shop_id, version).await? {
            Some(version) => Ok(Some(version)),
            None => Err(LedgerError::Corrupt(format!(
                "shop `{shop_id}` promoted version {version}, which is not stored"
            ))),
        }
    }
}

/// A candidate as `shop_rollouts` stores it.
struct Candidate<'a> {
    version: i64,
    rollout: &'a Rollout,
    rollout_id: &'a str,
    /// A progressive rollout's plan, as stored.
    plan_json: Option<&'a str>,
}

/// A progressive rollout from its `shop_rollouts` row.
fn progressive(row: &AnyRow) -> Result<Rollout, LedgerError> {
    let plan: Option<String> = row.try_get("plan_json")?;
    let plan = plan_from_json(
        plan.as_deref()
            .ok_or_else(|| LedgerError::Corrupt("a progressive rollout without a plan".into()))?,
    )?;
    let step = row.try_get::<Option<i64>, _>("step")?.unwrap_or(0);
    Ok(Rollout::Progressive {
        plan,
        step: usize::try_from(step).unwrap_or(0),
    })
}

/// Sets the shop's active version and its candidate (none: no candidate).
async fn upsert_rollout(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    shop_id: &str,
    active: i64,
    candidate: Option<Candidate<'_>>,
    at_ms: i64,
) -> Result<(), LedgerError> {
    let step = match candidate.as_ref().map(|candidate| candidate.rollout) {
        Some(Rollout::Progressive { step, .. }) => Some(i64::try_from(*step).unwrap_or(0)),
        _ => None,
    };
    sqlx::query(
        "INSERT INTO shop_rollouts (shop_id, active_version, candidate_version, candidate_mode,
             canary_basis_points, rollout_id, plan_json, step, updated_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (shop_id) DO UPDATE SET active_version = excluded.active_version,
             candidate_version = excluded.candidate_version,
             candidate_mode = excluded.candidate_mode,
             canary_basis_points = excluded.canary_basis_points,
             rollout_id = excluded.rollout_id,
             plan_json = excluded.plan_json,
             step = excluded.step,
             updated_at_ms = excluded.updated_at_ms",
    )
    .bind(shop_id)
    .bind(active)
    .bind(candidate.as_ref().map(|candidate| candidate.version))
    .bind(candidate.as_ref().map(|candidate| candidate.rollout.mode()))
    .bind(
        candidate
            .as_ref()
            .and_then(|candidate| candidate.rollout.basis_points())
            .map(i64::from),
    )
    .bind(candidate.as_ref().map(|candidate| candidate.rollout_id))
    .bind(candidate.as_ref().and_then(|candidate| candidate.plan_json))
    .bind(step)
    .bind(at_ms)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
