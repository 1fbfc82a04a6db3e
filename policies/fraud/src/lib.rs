//! The platform's fraud screen (rulebook F1-F7): runs before every shop's policy, is not
//! replaceable by sellers, and decides itself on hard fraud and unknown orders.
//!
//! - [`signals`]: one function per rule; each fired signal carries its risk.
//! - [`platform`]: the decisions the platform takes over the shop's policy, and
//!   `relabel_ticket`.
//! - [`settings`]: the screen's own thresholds, and the shop's `promo_max` for F7.
//!
//! The screen only assesses: soft effects (no promo codes or coupons, money only after
//! review) are applied by the host's envelope over whatever the shop's policy decides.

pub mod platform;
pub mod settings;
pub mod signals;

use arbiter_sdk::prelude::*;

pub use settings::FraudSettings;
use signals::Finding;

/// The platform fraud screen.
#[derive(Debug)]
pub struct PlatformFraudScreen;

impl FraudScreen for PlatformFraudScreen {
    type Settings = FraudSettings;

    fn metadata() -> ModuleMetadata {
        ModuleMetadata::new(
            "fraud",
            "0.1.0",
            &[
                signals::F1,
                signals::F2,
                signals::F3,
                signals::F4,
                signals::F5,
                signals::F6,
                signals::F7,
                platform::UNKNOWN_ORDER,
                platform::RELABEL,
            ],
        )
    }

    fn assess(
        claim: &Claim,
        history: &History,
        settings: &FraudSettings,
        shop_settings: &str,
    ) -> Result<Assessment, PolicyError> {
        let promo_max = settings.promo_max_for(shop_settings);
        let findings: Vec<Finding> = [
            signals::on_hard_fraud_list(history),
            signals::photo_used_by_another_customer(history),
            signals::photo_reused_by_customer(history),
            signals::contradicted_without_labels(claim),
            signals::frequent_claims(claim, history, settings),
            signals::value_above_order_total(claim),
            signals::new_account_above_promo_max(claim, settings, promo_max),
        ]
        .into_iter()
        .flatten()
        .collect();

        let risk = findings
            .iter()
            .map(|finding| finding.risk)
            .max_by_key(|risk| severity(*risk))
            .unwrap_or(Risk::None);

        let hard_signals: Vec<&Signal> = findings
            .iter()
            .filter(|finding| finding.risk == Risk::Hard)
            .map(|finding| &finding.signal)
            .collect();
        let platform_decision = if risk == Risk::Hard {
            Some(platform::block_hard_fraud(&hard_signals))
        } else if claim.kind == ClaimKind::UnknownOrder {
            Some(platform::escalate_unknown_order(claim))
        } else {
            None
        };

        let mut signals: Vec<Signal> = findings.into_iter().map(|finding| finding.signal).collect();
        // An unknown order is itself escalated as possible fraud (against the customer),
        // so a fraud mark on its ticket is not contradicted by the checks.
        let relabel =
            claim.marked_as_fraud && risk == Risk::None && claim.kind != ClaimKind::UnknownOrder;
        let extra_actions = if relabel {
            signals.push(platform::relabel_signal());
            vec![Action::RelabelTicket]
        } else {
            Vec::new()
        };

        Ok(Assessment {
            risk,
            signals,
            platform_decision,
            extra_actions,
        })
    }
}

/// Orders risks from none to hard.
fn severity(risk: Risk) -> u8 {
    match risk {
        Risk::None => 0,
        Risk::Soft => 1,
        Risk::Hard => 2,
    }
}

arbiter_sdk::export_fraud_screen!(PlatformFraudScreen);

#[cfg(test)]
mod tests;
