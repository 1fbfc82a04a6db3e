//! The Arbiter policy SDK: write a claim policy as a plain Rust function.
//!
//! A seller implements [`CompensationPolicy`] (the platform implements [`FraudScreen`]),
//! then calls [`export_compensation_policy!`] once. The SDK turns the WIT contract
//! (`wit/policy@0.1.0`) into Rust types, parses settings with defaults, describes them as
//! JSON Schema, and offers money, time and decision helpers. Because a policy is a plain
//! trait implementation, its unit tests call it natively with `cargo test`, through
//! [`runtime::decide`], which refuses what the host refuses (the shared contract rules).
//!
//! ```ignore
//! use arbiter_sdk::prelude::*;
//!
//! struct Florist;
//!
//! impl CompensationPolicy for Florist {
//!     type Settings = NoSettings;
//!     fn metadata() -> ModuleMetadata { ModuleMetadata::new("florist", "0.1.0", &["FL1"]) }
//!     fn decide(claim: &Claim, _: &History, _: &NoSettings) -> Result<Decision, PolicyError> {
//!         Ok(Decision::escalate("FL1", "a florist looks at every claim"))
//!     }
//! }
//!
//! arbiter_sdk::export_compensation_policy!(Florist);
//! ```

pub mod claim;
pub mod contract;
pub mod decision;
pub mod history;
pub mod money;
pub mod runtime;
pub mod sample;
pub mod settings;
pub mod time;

/// The types of the WIT interface `arbiter:policy/types@0.1.0`, generated once.
pub mod types_bindings {
    wit_bindgen::generate!({
        inline: "package arbiter:sdk; world sdk-types { import arbiter:policy/types@0.1.0; }",
        path: "../../wit/policy@0.1.0",
        world: "arbiter:sdk/sdk-types",
        // serde: tests and the engine benchmark move claims between the host's types
        // and these as JSON, field for field.
        additional_derives: [PartialEq, serde::Serialize, serde::Deserialize],
        generate_all,
    });
}

/// Bindings of the `compensation-policy` world.
#[cfg(feature = "compensation-policy")]
pub mod compensation {
    wit_bindgen::generate!({
        path: "../../wit/policy@0.1.0",
        world: "compensation-policy",
        with: { "arbiter:policy/types@0.1.0": crate::types_bindings::arbiter::policy::types },
        pub_export_macro: true,
        export_macro_name: "__export_compensation_policy_world",
        default_bindings_module: "arbiter_sdk::compensation",
    });
}

/// Bindings of the `fraud-screen` world.
#[cfg(feature = "fraud-screen")]
pub mod fraud {
    wit_bindgen::generate!({
        path: "../../wit/policy@0.1.0",
        world: "fraud-screen",
        with: { "arbiter:policy/types@0.1.0": crate::types_bindings::arbiter::policy::types },
        pub_export_macro: true,
        export_macro_name: "__export_fraud_screen_world",
        default_bindings_module: "arbiter_sdk::fraud",
    });
}

pub use types_bindings::arbiter::policy::types::*;

pub use settings::{NoSettings, PolicySettings};

/// A shop's compensation rules. Implement it, then call [`export_compensation_policy!`].
pub trait CompensationPolicy {
    /// The settings a seller may tune; see [`PolicySettings`].
    type Settings: PolicySettings;

    /// The module's name, version and the rule ids it implements.
    fn metadata() -> ModuleMetadata;

    /// The next step for `claim`. Pure: never reads a clock (use `claim.now`).
    fn decide(
        claim: &Claim,
        history: &History,
        settings: &Self::Settings,
    ) -> Result<Decision, PolicyError>;
}

/// The platform's fraud screen. Implement it, then call [`export_fraud_screen!`].
pub trait FraudScreen {
    /// The screen's own settings.
    type Settings: PolicySettings;

    /// The module's name, version and the rule ids it implements.
    fn metadata() -> ModuleMetadata;

    /// Assesses `claim`. `shop_settings` is the shop's compensation settings as JSON text.
    fn assess(
        claim: &Claim,
        history: &History,
        settings: &Self::Settings,
        shop_settings: &str,
    ) -> Result<Assessment, PolicyError>;
}

impl ModuleMetadata {
    /// Metadata from string slices.
    pub fn new(name: &str, version: &str, rules: &[&str]) -> Self {
        Self {
            name: name.to_owned(),
            version: version.to_owned(),
            rules: rules.iter().map(|rule| (*rule).to_owned()).collect(),
        }
    }
}

/// Everything a policy usually needs, in one `use`.
pub mod prelude {
    pub use crate::money::format_money;
    pub use crate::settings::{NoSettings, PolicySettings, setting_error};
    pub use crate::time::{DAY_MS, days_ms};
    pub use crate::{
        Action, Assessment, Claim, ClaimKind, ClaimSubkind, CompensationPolicy, ConfirmingParty,
        Courier, Decision, DesiredOutcome, Document, DocumentSource, EscalationTarget, FraudScreen,
        Fulfilment, GoodsQuality, History, ModuleMetadata, Money, Outcome, PartyAnswer, Payer,
        PolicyError, Reason, Risk, SettingsError, Signal, UsedSign,
    };
    pub use schemars::JsonSchema;
    pub use serde::Deserialize;
}

/// Exports a [`CompensationPolicy`] implementation as the module's `compensation-policy`
/// world. Call it once, at the crate root.
#[cfg(feature = "compensation-policy")]
#[macro_export]
macro_rules! export_compensation_policy {
    ($policy:ty) => {
        const _: () = {
            struct ArbiterCompensationPolicy;

            impl $crate::compensation::Guest for ArbiterCompensationPolicy {
                fn decide(
                    claim: $crate::Claim,
                    history: $crate::History,
                    settings: ::std::string::String,
                ) -> ::std::result::Result<$crate::Decision, $crate::PolicyError> {
                    $crate::runtime::answer::<$policy>(&claim, &history, &settings)
                }

                fn validate_settings(
                    settings: ::std::string::String,
                ) -> ::std::result::Result<(), $crate::SettingsError> {
                    $crate::runtime::validate_settings::<
                        <$policy as $crate::CompensationPolicy>::Settings,
                    >(&settings)
                }

                fn settings_schema() -> ::std::string::String {
                    $crate::runtime::settings_schema::<
                        <$policy as $crate::CompensationPolicy>::Settings,
                    >()
                }

                fn metadata() -> $crate::ModuleMetadata {
                    <$policy as $crate::CompensationPolicy>::metadata()
                }
            }

            $crate::compensation::__export_compensation_policy_world!(
                ArbiterCompensationPolicy with_types_in $crate::compensation
            );
        };
    };
}

/// Exports a [`FraudScreen`] implementation as the module's `fraud-screen` world.
#[cfg(feature = "fraud-screen")]
#[macro_export]
macro_rules! export_fraud_screen {
    ($screen:ty) => {
        const _: () = {
            struct ArbiterFraudScreen;

            impl $crate::fraud::Guest for ArbiterFraudScreen {
                fn assess(
                    claim: $crate::Claim,
                    history: $crate::History,
                    settings: ::std::string::String,
                    shop_settings: ::std::string::String,
                ) -> ::std::result::Result<$crate::Assessment, $crate::PolicyError> {
                    $crate::runtime::answer_assessment::<$screen>(
                        &claim,
                        &history,
                        &settings,
                        &shop_settings,
                    )
                }

                fn validate_settings(
                    settings: ::std::string::String,
                ) -> ::std::result::Result<(), $crate::SettingsError> {
                    $crate::runtime::validate_settings::<
                        <$screen as $crate::FraudScreen>::Settings,
                    >(&settings)
                }

                fn settings_schema() -> ::std::string::String {
                    $crate::runtime::settings_schema::<<$screen as $crate::FraudScreen>::Settings>()
                }

                fn metadata() -> $crate::ModuleMetadata {
                    <$screen as $crate::FraudScreen>::metadata()
                }
            }

            $crate::fraud::__export_fraud_screen_world!(ArbiterFraudScreen with_types_in $crate::fraud);
        };
    };
}
