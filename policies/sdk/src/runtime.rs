//! The glue between the exported WIT functions and a policy's trait implementation.
//!
//! A policy's tests call [`decide`] and [`assess`] to run the path a Wasm call takes
//! (settings text in, answer out) without building Wasm, and then the host's own checks:
//! an answer the host would refuse fails the test with the host's words. The export
//! macros call [`answer`] and [`answer_assessment`], which leave the checking to the host.

use crate::contract::{check_assessment, check_decision};
use crate::settings::{PolicySettings, parse_settings};
use crate::{Assessment, Claim, Decision, History, PolicyError, SettingsError};

/// Parses `settings`, asks `P` for the next step, and checks it as the host would.
///
/// # Panics
///
/// When the host would refuse the decision, with `the host would refuse this decision:`
/// and the host's failure code and detail (`invalid_decision: money moves but no payer
/// is named`): a policy's unit test of such a decision fails as the claim would.
pub fn decide<P: crate::CompensationPolicy>(
    claim: &Claim,
    history: &History,
    settings: &str,
) -> Result<Decision, PolicyError> {
    let decision = answer::<P>(claim, history, settings)?;
    if let Err(violation) = check_decision(&decision, claim) {
        panic!("the host would refuse this decision: {violation}");
    }
    Ok(decision)
}

/// Parses `settings` and asks `F` for its assessment, checked as the host would.
///
/// # Panics
///
/// When the host would refuse the assessment, with `the host would refuse this
/// assessment:` and the host's failure code and detail.
pub fn assess<F: crate::FraudScreen>(
    claim: &Claim,
    history: &History,
    settings: &str,
    shop_settings: &str,
) -> Result<Assessment, PolicyError> {
    let assessment = answer_assessment::<F>(claim, history, settings, shop_settings)?;
    if let Err(violation) = check_assessment(&assessment, claim) {
        panic!("the host would refuse this assessment: {violation}");
    }
    Ok(assessment)
}

/// What the exported `decide` returns: `P`'s answer as it is. The host checks it, and
/// records a broken one as the module's `invalid_decision` (a panic here would be a trap).
pub fn answer<P: crate::CompensationPolicy>(
    claim: &Claim,
    history: &History,
    settings: &str,
) -> Result<Decision, PolicyError> {
    let settings = parse_settings::<P::Settings>(settings).map_err(PolicyError::InvalidSettings)?;
    P::decide(claim, history, &settings)
}

/// What the exported `assess` returns: `F`'s assessment as it is; the host checks it.
pub fn answer_assessment<F: crate::FraudScreen>(
    claim: &Claim,
    history: &History,
    settings: &str,
    shop_settings: &str,
) -> Result<Assessment, PolicyError> {
    let settings = parse_settings::<F::Settings>(settings).map_err(PolicyError::InvalidSettings)?;
    F::assess(claim, history, &settings, shop_settings)
}

/// Parses and checks a settings document.
pub fn validate_settings<S: PolicySettings>(settings: &str) -> Result<(), SettingsError> {
    parse_settings::<S>(settings).map(|_| ())
}

/// The JSON Schema of `S`, as text.
pub fn settings_schema<S: PolicySettings>() -> String {
    let schema = schemars::schema_for!(S);
    serde_json::to_string(&schema).unwrap_or_else(|_| String::from("{}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::ViolationKind;
    use crate::{
        Action, ClaimKind, CompensationPolicy, ModuleMetadata, NoSettings, Outcome, Payer, sample,
    };

    /// Refunds 1500.00 RUB and forgets to say who pays.
    struct Forgetful;

    impl CompensationPolicy for Forgetful {
        type Settings = NoSettings;

        fn metadata() -> ModuleMetadata {
            ModuleMetadata::new("forgetful", "0.1.0", &["FG1"])
        }

        fn decide(_: &Claim, _: &History, _: &NoSettings) -> Result<Decision, PolicyError> {
            Ok(Decision::new(Outcome::Compensate)
                .with(Action::refund(150_000, "RUB", false))
                .because("FG1", "money back"))
        }
    }

    fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
        payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| {
                payload
                    .downcast_ref::<&str>()
                    .map(|text| (*text).to_owned())
            })
            .unwrap_or_default()
    }

    #[test]
    fn a_decision_the_host_refuses_fails_the_test_with_the_hosts_words() {
        let claim = sample::claim(ClaimKind::Damaged);
        let history = sample::clean_history();

        // The export path hands the decision to the host as it is ...
        let Ok(decision) = answer::<Forgetful>(&claim, &history, "") else {
            panic!("the policy answers");
        };
        // ... which refuses it for the contract's reason ...
        let violation = check_decision(&decision, &claim).unwrap_err();
        assert_eq!(violation.kind, ViolationKind::InvalidDecision);
        assert_eq!(violation.detail, "money moves but no payer is named");

        // ... and a native test of the same policy fails with those words.
        let refused = std::panic::catch_unwind(|| decide::<Forgetful>(&claim, &history, ""))
            .map(|_| ())
            .map_err(|payload| panic_text(payload.as_ref()));
        assert_eq!(
            refused,
            Err(format!("the host would refuse this decision: {violation}"))
        );
        assert_eq!(
            refused,
            Err("the host would refuse this decision: invalid_decision: money moves but no payer is named".to_owned())
        );
    }

    /// The same refund, paid by the seller.
    struct Careful;

    impl CompensationPolicy for Careful {
        type Settings = NoSettings;

        fn metadata() -> ModuleMetadata {
            ModuleMetadata::new("careful", "0.1.0", &["FG1"])
        }

        fn decide(
            claim: &Claim,
            history: &History,
            _: &NoSettings,
        ) -> Result<Decision, PolicyError> {
            answer::<Forgetful>(claim, history, "").map(|decision| decision.paid_by(Payer::Seller))
        }
    }

    #[test]
    fn a_decision_the_host_accepts_is_returned_as_it_is() {
        let claim = sample::claim(ClaimKind::Damaged);
        let decision = decide::<Careful>(&claim, &sample::clean_history(), "");
        assert_eq!(
            decision.map(|decision| (decision.outcome, decision.payer, decision.actions)),
            Ok((
                Outcome::Compensate,
                Some(Payer::Seller),
                vec![Action::refund(150_000, "RUB", false)]
            ))
        );
    }

    #[test]
    fn settings_are_refused_before_any_check() {
        let claim = sample::claim(ClaimKind::Damaged);
        let refused = decide::<Forgetful>(&claim, &sample::clean_history(), r#"{"x": 1}"#);
        assert!(
            matches!(refused, Err(PolicyError::InvalidSettings(_))),
            "{refused:?}"
        );
    }
}
