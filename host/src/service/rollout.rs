//! Which claims a candidate version serves: the stable canary hash, and how a rollout
//! is named in JSON.

use sha2::{Digest, Sha256};

use crate::ledger::Rollout;

/// Whether `claim_id` falls in a canary of `basis_points` (hundredths of a percent):
/// a stable hash, so every revision of a claim lands on the same side.
pub fn in_canary(claim_id: &str, basis_points: u32) -> bool {
    let digest = Sha256::digest(claim_id.as_bytes());
    let mut first = [0_u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first) % 10_000 < u64::from(basis_points)
}

/// The JSON name of a rollout and the share of claims its candidate serves, in percent.
pub fn rollout_label(rollout: &Rollout) -> (&'static str, Option<f64>) {
    let percent = rollout
        .basis_points()
        .map(|basis_points| f64::from(basis_points) / 100.0);
    (rollout.mode(), percent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_canary_share_is_about_what_was_asked_and_stable() {
        let claims: Vec<String> = (0..10_000).map(|n| format!("c-{n}")).collect();
        let inside = claims.iter().filter(|id| in_canary(id, 2_500)).count();
        assert!(
            (2_200..2_800).contains(&inside),
            "{inside} of 10000 in a 25% canary"
        );
        assert!(claims.iter().all(|id| !in_canary(id, 0)));
        assert!(claims.iter().all(|id| in_canary(id, 10_000)));
        assert_eq!(in_canary("c-1", 2_500), in_canary("c-1", 2_500));
    }

    #[test]
    fn rollouts_are_named_as_the_api_shows_them() {
        assert_eq!(rollout_label(&Rollout::Active), ("active", None));
        assert_eq!(rollout_label(&Rollout::Shadow), ("shadow", None));
        assert_eq!(
            rollout_label(&Rollout::Canary {
                basis_points: 1_250
            }),
            ("canary", Some(12.5))
        );
        let plan = crate::progressive::ProgressivePlan::new(None, None, None)
            .unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(
            rollout_label(&Rollout::Progressive { plan, step: 1 }),
            ("progressive", Some(25.0))
        );
    }
}
