//! What decides a claim (rollouts, platform policies, guardrails, failure policies),
//! cached in memory under the ledger's config epoch.
//!
//! Every write to those tables moves the epoch (triggers, migration 0007). A decision
//! reads the epoch once; while it is unchanged the cached values are exactly what the
//! tables hold, so a decision makes one read instead of five to seven. A change committed
//! by any host that shares the store moves the epoch, and the next decision on every
//! host reads afresh: hot swaps stay visible at once.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Mutex, PoisonError};

use super::{FailurePolicy, Ledger, LedgerError, ShopRollout};
use crate::engine::ModuleDigest;
use crate::guardrails::Guardrails;

/// The config epoch a decision read: the values it gets are those of this epoch or newer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConfigEpoch(i64);

impl ConfigEpoch {
    pub(super) fn new(epoch: i64) -> Self {
        Self(epoch)
    }
}

/// Entries kept per kind before the cache starts over; far more shops than one host
/// serves at once.
const MAX_ENTRIES: usize = 100_000;

#[derive(Debug, Default)]
pub(super) struct ConfigCache {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    epoch: Option<i64>,
    platform: HashMap<String, (Option<ModuleDigest>, String)>,
    guardrails: HashMap<(), Guardrails>,
    rollouts: HashMap<String, ShopRollout>,
    failure_policies: HashMap<String, FailurePolicy>,
}

impl State {
    /// Forgets everything cached under an older epoch; `false` if `epoch` is older than
    /// what the cache holds (then nothing is cached from this read).
    fn at(&mut self, epoch: i64) -> bool {
        match self.epoch {
            Some(current) if current == epoch => true,
            Some(current) if current > epoch => false,
            _ => {
                *self = Self {
                    epoch: Some(epoch),
                    ..Self::default()
                };
                true
            }
        }
    }
}

impl ConfigCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The cached value of `key` under `epoch`, or `load` it and keep it.
    async fn get_or_load<K, V, F>(
        &self,
        epoch: ConfigEpoch,
        map: fn(&mut State) -> &mut HashMap<K, V>,
        key: K,
        load: F,
    ) -> Result<V, LedgerError>
    where
        K: Eq + Hash,
        V: Clone,
        F: Future<Output = Result<V, LedgerError>>,
    {
        {
            let mut state = self.lock();
            if state.at(epoch.0)
                && let Some(value) = map(&mut state).get(&key)
            {
                return Ok(value.clone());
            }
        }
        // Loaded after the epoch was read, so at least as new as that epoch.
        let value = load.await?;
        let mut state = self.lock();
        if state.at(epoch.0) {
            let entries = map(&mut state);
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
            entries.insert(key, value.clone());
        }
        Ok(value)
    }
}

impl Ledger {
    /// The config epoch now; read once per decision, before any cached value. On
    /// PostgreSQL it is known without a read while the store's announcements are heard
    /// (see [`super::epoch_watch`]).
    pub async fn config_epoch(&self) -> Result<ConfigEpoch, LedgerError> {
        if let Some(epoch) = self.announced_epoch() {
            return Ok(epoch);
        }
        let epoch = ConfigEpoch(super::epoch_watch::read_epoch(self.pool()).await?);
        self.saw_epoch(epoch);
        Ok(epoch)
    }

    /// The epoch the store last announced, while its announcements are heard.
    pub(super) fn announced_epoch(&self) -> Option<ConfigEpoch> {
        let watch = self.epoch_watch.as_ref()?;
        watch.current().map(ConfigEpoch)
    }

    /// Takes note of an epoch read from the store.
    pub(super) fn saw_epoch(&self, epoch: ConfigEpoch) {
        if let Some(watch) = &self.epoch_watch {
            watch.saw(epoch.0);
        }
    }

    /// After this host changed the config: its next decision sees the change at once,
    /// without waiting for the store's announcement.
    pub(super) async fn config_changed(&self) -> Result<(), LedgerError> {
        if let Some(watch) = &self.epoch_watch {
            watch.saw(super::epoch_watch::read_epoch(self.pool()).await?);
        }
        Ok(())
    }

    /// [`Ledger::platform_policy`], cached under `epoch`.
    pub async fn platform_policy_at(
        &self,
        epoch: ConfigEpoch,
        name: &str,
    ) -> Result<(Option<ModuleDigest>, String), LedgerError> {
        self.config
            .get_or_load(
                epoch,
                |state| &mut state.platform,
                name.to_owned(),
                self.platform_policy(name),
            )
            .await
    }

    /// [`Ledger::guardrails`], cached under `epoch`.
    pub async fn guardrails_at(&self, epoch: ConfigEpoch) -> Result<Guardrails, LedgerError> {
        self.config
            .get_or_load(epoch, |state| &mut state.guardrails, (), self.guardrails())
            .await
    }

    /// [`Ledger::shop_rollout`], cached under `epoch`.
    pub async fn shop_rollout_at(
        &self,
        epoch: ConfigEpoch,
        shop_id: &str,
    ) -> Result<ShopRollout, LedgerError> {
        self.config
            .get_or_load(
                epoch,
                |state| &mut state.rollouts,
                shop_id.to_owned(),
                self.shop_rollout(shop_id),
            )
            .await
    }

    /// [`Ledger::failure_policy`], cached under `epoch`.
    pub async fn failure_policy_at(
        &self,
        epoch: ConfigEpoch,
        shop_id: &str,
    ) -> Result<FailurePolicy, LedgerError> {
        self.config
            .get_or_load(
                epoch,
                |state| &mut state.failure_policies,
                shop_id.to_owned(),
                self.failure_policy(shop_id),
            )
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_newer_epoch_starts_over_and_an_older_one_is_not_kept() {
        let mut state = State::default();
        assert!(state.at(3));
        state
            .failure_policies
            .insert("s".into(), FailurePolicy::default());
        assert!(state.at(3));
        assert_eq!(state.failure_policies.len(), 1);
        assert!(!state.at(2));
        assert_eq!(state.failure_policies.len(), 1);
        assert!(state.at(4));
        assert!(state.failure_policies.is_empty());
    }
}
