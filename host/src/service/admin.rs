//! Policy administration: settings, uploads, versions and their rollout, rollback and
//! promotion, failure policies, the platform's own policies, the hard-fraud list, the
//! guardrails, and the audit trail every change writes to.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::clock::now_ms;
use crate::engine::{CompensationModule, ModuleDigest};
use crate::guardrails::Guardrails;
use crate::ledger::{
    AuditEntry, DecisionCursor, DecisionFilter, FailurePolicy, FraudListed, ListedDecision,
    ModuleRecord, PolicyVersion, Rollout, ShopRollout, ShopSettings, StoredDecision, VersionModule,
};

use super::rollout::rollout_label;
use super::settings::{settings_text, validate_settings};
use super::{PlatformPolicy, Service, ServiceError};

/// The most audit entries one listing shows.
const AUDIT_PAGE: u32 = 500;
/// The most hard-fraud list entries one listing shows.
pub const FRAUD_LIST_PAGE: u32 = 1000;

impl Service {
    /// The module and settings of a platform policy (the built-in module when none set).
    pub async fn platform_policy(
        &self,
        which: PlatformPolicy,
    ) -> Result<(Option<ModuleDigest>, String), ServiceError> {
        Ok(self.ledger.platform_policy(which.name()).await?)
    }

    /// The module that decides for versions naming none: the platform's compensation
    /// module, or the built-in standard.
    pub async fn platform_compensation_digest(&self) -> Result<ModuleDigest, ServiceError> {
        Ok(self.compensation_module(None).await?.digest().clone())
    }

    /// `module`, or else the platform's `default` module, or else the built-in standard.
    pub(super) async fn module_or_default(
        &self,
        module: Option<&ModuleDigest>,
        default: Option<&ModuleDigest>,
    ) -> Result<CompensationModule, ServiceError> {
        match module.or(default) {
            Some(digest) => Ok(self.registry.compensation(digest).await?),
            None => Ok(self.registry.standard().clone()),
        }
    }

    /// The compensation module of a version (none: the platform's default module).
    pub(super) async fn compensation_module(
        &self,
        module: Option<&ModuleDigest>,
    ) -> Result<CompensationModule, ServiceError> {
        let default = match module {
            Some(_) => None,
            None => self.platform_policy(PlatformPolicy::Compensation).await?.0,
        };
        self.module_or_default(module, default.as_ref()).await
    }

    /// What a shop runs now, with the platform's default settings standing in for a
    /// shop that never set any (version 0).
    pub async fn shop_rollout(&self, shop_id: &str) -> Result<ShopRollout, ServiceError> {
        let mut rollout = self.ledger.shop_rollout(shop_id).await?;
        if rollout.active.version == 0 {
            rollout.active.settings_json =
                self.platform_policy(PlatformPolicy::Compensation).await?.1;
        }
        Ok(rollout)
    }

    /// Every version of the shop's policy, oldest first.
    pub async fn policy_versions(&self, shop_id: &str) -> Result<Vec<PolicyVersion>, ServiceError> {
        Ok(self.ledger.policy_versions(shop_id).await?)
    }

    /// A recorded decision by id.
    pub async fn decision(&self, decision_id: &str) -> Result<StoredDecision, ServiceError> {
        self.ledger
            .decision(decision_id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("decision `{decision_id}`")))
    }

    /// What shadow versions decided beside a decision, each as its JSON answer.
    pub async fn shadow_decisions(&self, decision_id: &str) -> Result<Vec<String>, ServiceError> {
        Ok(self.ledger.shadow_decisions(decision_id).await?)
    }

    /// The shop's current settings.
    pub async fn settings(&self, shop_id: &str) -> Result<ShopSettings, ServiceError> {
        Ok(self.ledger.shop_settings(shop_id).await?)
    }

    /// Validates `settings` with the shop's policy and stores them as a new version.
    pub async fn put_settings(
        &self,
        shop_id: &str,
        settings: &serde_json::Value,
        by: &str,
    ) -> Result<ShopSettings, ServiceError> {
        let text = settings_text(settings)?;
        let active = self.ledger.shop_rollout(shop_id).await?.active;
        let module = self
            .compensation_module(active.module_digest.as_ref())
            .await?;
        validate_settings(module, text.clone()).await?;
        // Stored with the module that accepted them, named: a policy change landing
        // meanwhile must not end up with settings its own module never checked.
        let stored = self
            .ledger
            .add_policy_version(
                shop_id,
                VersionModule::stored(active.module_digest.as_ref()),
                &text,
                &Rollout::Active,
                by,
                now_ms(),
            )
            .await?;
        self.audit(
            by,
            "settings.update",
            shop_id,
            serde_json::json!({"version": stored.version, "settings": settings}),
        )
        .await;
        Ok(ShopSettings {
            version: stored.version,
            settings_json: stored.settings_json,
        })
    }

    /// The modules `scope` may use (a shop id; none: every module).
    pub async fn modules(&self, scope: Option<&str>) -> Result<Vec<ModuleRecord>, ServiceError> {
        Ok(self.ledger.modules(scope).await?)
    }

    /// A module `scope` may use, with its failure counts by kind.
    pub async fn module(
        &self,
        digest: &str,
        scope: Option<&str>,
    ) -> Result<(ModuleRecord, BTreeMap<String, u64>), ServiceError> {
        let digest = known_digest(digest)?;
        let record = self
            .ledger
            .module(&digest, scope)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("module `{digest}`")))?;
        let failures = self.ledger.module_failures(&digest).await?;
        Ok((record, failures))
    }

    /// Checks, compiles and stores an uploaded module that `scope` (a shop id, or `*`
    /// for every shop) may use; once trusted keys are configured, only with a
    /// `signature` by one of them over its digest (checked before anything else).
    pub async fn upload_module(
        &self,
        bytes: Vec<u8>,
        signature: Option<&str>,
        scope: &str,
        by: &str,
    ) -> Result<(ModuleRecord, bool), ServiceError> {
        // Hashing megabytes is no work for an async worker: on the blocking pool, and
        // only when a signature is asked for.
        let bytes = if self.trusted_keys.required() {
            let keys = Arc::clone(&self.trusted_keys);
            let signature = signature.map(str::to_owned);
            tokio::task::spawn_blocking(move || {
                keys.check(&ModuleDigest::of(&bytes), signature.as_deref())
                    .map(|()| bytes)
            })
            .await
            .map_err(|error| ServiceError::Blocking("checking a signature", error))??
        } else {
            bytes
        };
        let (record, created) = self.registry.upload(bytes, scope, by).await?;
        self.audit(
            by,
            "module.upload",
            record.digest.as_str(),
            serde_json::json!({"scope": scope, "new": created, "name": record.name, "version": record.version}),
        )
        .await;
        Ok((record, created))
    }

    /// Adds a version of the shop's policy: `module` (which `shop_id` must be allowed to
    /// use) with `settings`, checked by that module, rolled out as `rollout`.
    pub async fn put_policy(
        &self,
        shop_id: &str,
        module: &str,
        settings: &serde_json::Value,
        rollout: Rollout,
        by: &str,
    ) -> Result<PolicyVersion, ServiceError> {
        let text = settings_text(settings)?;
        let module = known_digest(module)?;
        if self.ledger.module(&module, Some(shop_id)).await?.is_none() {
            return Err(ServiceError::NotFound(format!("module `{module}`")));
        }
        let compensation = self.registry.compensation(&module).await?;
        validate_settings(compensation, text.clone()).await?;
        let version = self
            .ledger
            .add_policy_version(
                shop_id,
                VersionModule::Uploaded(&module),
                &text,
                &rollout,
                by,
                now_ms(),
            )
            .await?;
        let (mode, percent) = rollout_label(&rollout);
        let mut detail = serde_json::json!({"version": version.version, "module": module, "mode": mode, "canary_percent": percent});
        if let Rollout::Progressive { plan, .. } = &rollout {
            detail["plan"] = serde_json::to_value(plan).unwrap_or_default();
        }
        self.audit(by, "policy.set", shop_id, detail).await;
        Ok(version)
    }

    /// What happens to the shop's claims when its module fails.
    pub async fn failure_policy(&self, shop_id: &str) -> Result<FailurePolicy, ServiceError> {
        Ok(self.ledger.failure_policy(shop_id).await?)
    }

    /// Sets what happens to the shop's claims when its module fails.
    pub async fn put_failure_policy(
        &self,
        shop_id: &str,
        policy: FailurePolicy,
        by: &str,
    ) -> Result<(), ServiceError> {
        self.ledger
            .put_failure_policy(shop_id, policy, by, now_ms())
            .await?;
        self.audit(
            by,
            "policy.failure_policy",
            shop_id,
            serde_json::json!({"failure_policy": policy}),
        )
        .await;
        Ok(())
    }

    /// Makes version `to` active again (and drops any candidate).
    pub async fn rollback(
        &self,
        shop_id: &str,
        to: u64,
        by: &str,
    ) -> Result<PolicyVersion, ServiceError> {
        let version = self
            .ledger
            .rollback(shop_id, to, by, now_ms())
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("version {to} of shop `{shop_id}`")))?;
        self.audit(
            by,
            "policy.rollback",
            shop_id,
            serde_json::json!({"to": to}),
        )
        .await;
        Ok(version)
    }

    /// Makes the shop's shadow or canary candidate active.
    pub async fn promote(&self, shop_id: &str, by: &str) -> Result<PolicyVersion, ServiceError> {
        let version = self
            .ledger
            .promote(shop_id, by, now_ms())
            .await?
            .ok_or_else(|| {
                ServiceError::NotFound(format!("a candidate version of shop `{shop_id}`"))
            })?;
        self.audit(
            by,
            "policy.promote",
            shop_id,
            serde_json::json!({"version": version.version}),
        )
        .await;
        Ok(version)
    }

    /// Sets a platform policy: its module (none: the built-in) and settings, checked by
    /// that module. Only a module every shop may use can be every shop's default.
    pub async fn put_platform_policy(
        &self,
        which: PlatformPolicy,
        module: Option<&str>,
        settings: &serde_json::Value,
        by: &str,
    ) -> Result<(), ServiceError> {
        let text = settings_text(settings)?;
        let module = module.map(known_digest).transpose()?;
        let module = module.as_ref();
        if let Some(digest) = module
            && self.ledger.module(digest, Some("*")).await?.is_none()
        {
            return Err(ServiceError::NotFound(format!(
                "platform module `{digest}`"
            )));
        }
        match (which, module) {
            (PlatformPolicy::Compensation, Some(digest)) => {
                validate_settings(self.registry.compensation(digest).await?, text.clone()).await?;
            }
            (PlatformPolicy::Compensation, None) => {
                validate_settings(self.registry.standard().clone(), text.clone()).await?;
            }
            (PlatformPolicy::FraudScreen, Some(digest)) => {
                validate_settings(self.registry.fraud(digest).await?, text.clone()).await?;
            }
            (PlatformPolicy::FraudScreen, None) => {
                validate_settings(self.registry.builtin_fraud().clone(), text.clone()).await?;
            }
        }
        self.ledger
            .put_platform_policy(which.name(), module, &text, by, now_ms())
            .await?;
        self.audit(
            by,
            "platform.policy",
            which.name(),
            serde_json::json!({"module": module, "settings": settings}),
        )
        .await;
        Ok(())
    }

    /// Puts `customer_id` on the hard-fraud list (rule F1), saying why.
    pub async fn add_to_fraud_list(
        &self,
        customer_id: &str,
        reason: &str,
        by: &str,
    ) -> Result<(), ServiceError> {
        Ok(self
            .ledger
            .add_to_fraud_list(customer_id, reason, by, now_ms())
            .await?)
    }

    /// The hard-fraud list, newest first (at most [`FRAUD_LIST_PAGE`] entries).
    pub async fn fraud_list(&self) -> Result<Vec<FraudListed>, ServiceError> {
        Ok(self.ledger.fraud_list(FRAUD_LIST_PAGE).await?)
    }

    /// A page of the shop's decisions kept by `filter`, newest first, before `before`.
    /// Up to `limit` decisions made in `[from_ms, to_ms)` after `after`, oldest first:
    /// one shop's, or every shop's (the decision log export).
    pub async fn export_decisions(
        &self,
        shop_id: Option<&str>,
        range: (i64, i64),
        after: Option<&DecisionCursor>,
        limit: u32,
    ) -> Result<Vec<StoredDecision>, ServiceError> {
        Ok(match shop_id {
            Some(shop_id) => {
                self.ledger
                    .shop_decisions(shop_id, range, after, limit)
                    .await?
            }
            None => self.ledger.every_decision(range, after, limit).await?,
        })
    }

    pub async fn list_decisions(
        &self,
        shop_id: &str,
        filter: DecisionFilter<'_>,
        before: Option<&DecisionCursor>,
        limit: u32,
    ) -> Result<Vec<ListedDecision>, ServiceError> {
        Ok(self
            .ledger
            .list_decisions(shop_id, filter, before, limit)
            .await?)
    }

    /// Takes `customer_id` off the hard-fraud list; not found if it was not on it.
    pub async fn remove_from_fraud_list(&self, customer_id: &str) -> Result<(), ServiceError> {
        if self.ledger.remove_from_fraud_list(customer_id).await? {
            Ok(())
        } else {
            Err(ServiceError::NotFound(format!(
                "customer `{customer_id}` on the hard-fraud list"
            )))
        }
    }

    /// The spending caps the envelope applies.
    pub async fn guardrails(&self) -> Result<Guardrails, ServiceError> {
        Ok(self.ledger.guardrails().await?)
    }

    /// Sets the spending caps the envelope applies.
    pub async fn put_guardrails(
        &self,
        guardrails: &Guardrails,
        by: &str,
    ) -> Result<(), ServiceError> {
        Ok(self.ledger.put_guardrails(guardrails, by, now_ms()).await?)
    }

    /// The latest entries of the audit trail, newest first.
    pub async fn audit_entries(&self) -> Result<Vec<AuditEntry>, ServiceError> {
        Ok(self.ledger.audit_entries(AUDIT_PAGE).await?)
    }

    /// Records an entry in the audit trail; a failure to do so is logged, not fatal.
    pub async fn audit(&self, actor: &str, action: &str, subject: &str, detail: serde_json::Value) {
        self.metrics.change(action);
        if let Err(error) = self
            .ledger
            .audit(actor, action, subject, &detail, now_ms())
            .await
        {
            tracing::error!(%error, action, subject, "could not write the audit trail");
        }
    }
}

/// A digest named in a request: one that is not even well formed names no module.
pub(super) fn known_digest(text: &str) -> Result<ModuleDigest, ServiceError> {
    ModuleDigest::parse(text).map_err(|_| ServiceError::NotFound(format!("module `{text}`")))
}
