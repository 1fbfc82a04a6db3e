//! The platform's standard compensation policy: the rulebook's R1-R11 with the seller's
//! settings, as a pure function from the facts of a claim to its next step.
//!
//! A seller who uploads no module of their own runs this one. The fraud screen (F1-F7)
//! and the money envelope are the host's and apply over whatever this policy decides, so
//! the policy never sees the risk. Modules, one job each:
//!
//! - [`settings`]: the settings table, its defaults and checks;
//! - `precedence`: the order the rules decide in (unknown order, dispute window, silence);
//! - `kinds`: the rules of each claim kind, R1-R8, and R11;
//! - `tiers`: the compensation tier table of R1-R3;
//! - `coupons`: R9, the sorry-coupon and its limit;
//! - `payer`: who pays;
//! - `case`, `step`: the claim as the rules see it, and what a kind's rules return.

mod case;
mod coupons;
mod kinds;
mod payer;
mod precedence;
pub mod settings;
mod step;
mod tiers;

#[cfg(test)]
mod scenarios;
#[cfg(test)]
mod testing;

use arbiter_sdk::prelude::*;

pub use settings::StandardSettings;

/// Every rule id a decision of this policy may name.
///
/// The rulebook's numbered steps become sub-ids (`R1.1`-`R1.4`, ...); R6 is split into
/// `R6.1` (proper quality), `R6.2` (improper quality) and `R6.3` (a seller's goods need
/// office staff after arrival); R10 into `R10.1` (seller silent), `R10.2` (customer
/// silent) and `R10.3` (dispute window). `U1` is an order the customer never placed.
pub const RULES: &[&str] = &[
    "R1.1", "R1.2", "R1.3", "R1.4", //
    "R2.1", "R2.2", "R2.3", "R2.4", "R2.5", //
    "R3.1", "R3.2", "R3.3", "R3.4", "R3.5", //
    "R4.1", "R4.2", "R4.3", //
    "R5.1", "R5.2", "R5.3", //
    "R6.1", "R6.2", "R6.3", //
    "R7.1", "R7.2", //
    "R8.1", "R8.2", "R8.3", "R8.4", //
    "R9",   //
    "R10.1", "R10.2", "R10.3", //
    "R11", "U1",
];

/// The standard rulebook as a compensation policy.
#[derive(Debug)]
pub struct StandardPolicy;

impl CompensationPolicy for StandardPolicy {
    type Settings = StandardSettings;

    fn metadata() -> ModuleMetadata {
        ModuleMetadata::new("standard", env!("CARGO_PKG_VERSION"), RULES)
    }

    fn decide(
        claim: &Claim,
        history: &History,
        settings: &StandardSettings,
    ) -> Result<Decision, PolicyError> {
        Ok(precedence::decide(&case::Case::new(
            claim, history, settings,
        )))
    }
}

arbiter_sdk::export_compensation_policy!(StandardPolicy);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{check, clean, decide, past, photo};
    use arbiter_sdk::time::DAY_MS;
    use arbiter_sdk::{runtime, sample};

    #[test]
    fn metadata_names_the_module_and_its_rules() {
        let metadata = StandardPolicy::metadata();
        assert_eq!(metadata.name, "standard");
        assert_eq!(metadata.version, "0.1.0");
        assert_eq!(metadata.rules.len(), RULES.len());
        let mut unique = metadata.rules.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), RULES.len(), "rule ids are unique");
    }

    #[test]
    fn bad_settings_are_refused_when_deciding() {
        let claim = sample::claim(ClaimKind::Damaged);
        let error = runtime::decide::<StandardPolicy>(&claim, &clean(), r#"{"promo_max": 0}"#);
        match error {
            Err(PolicyError::InvalidSettings(error)) => {
                assert_eq!(error.key.as_deref(), Some("promo_max"))
            }
            other => panic!("expected invalid settings, got {other:?}"),
        }
    }

    const KINDS: [ClaimKind; 10] = [
        ClaimKind::Damaged,
        ClaimKind::ShortShipment,
        ClaimKind::IncompleteSet,
        ClaimKind::WrongItem,
        ClaimKind::DocumentRequest,
        ClaimKind::Return,
        ClaimKind::SuspectedUsed,
        ClaimKind::DeliveryProblem,
        ClaimKind::UnknownOrder,
        ClaimKind::Other,
    ];

    const SUBKINDS: [Option<ClaimSubkind>; 12] = [
        None,
        Some(ClaimSubkind::DifferentItem),
        Some(ClaimSubkind::DifferentModel),
        Some(ClaimSubkind::WrongColorOrSize),
        Some(ClaimSubkind::Receipt),
        Some(ClaimSubkind::WarrantyCard),
        Some(ClaimSubkind::ProperQuality),
        Some(ClaimSubkind::ImproperQuality),
        Some(ClaimSubkind::CannotDeliver),
        Some(ClaimSubkind::InconvenientDate),
        Some(ClaimSubkind::RescheduledWithoutNotice),
        Some(ClaimSubkind::DirtyOrCrumpledBox),
    ];

    /// Bends a claim by the bits of `variant`, so the sweep covers the facts' combinations.
    fn bend(claim: &mut Claim, variant: u32) {
        let bit = |n: u32| variant & (1 << n) != 0;
        let answer = |n: u32| match (bit(n), bit(n + 1)) {
            (false, false) => None,
            (true, false) => Some(PartyAnswer::Confirmed),
            _ => Some(PartyAnswer::Denied),
        };
        let flag = |n: u32| match (bit(n), bit(n + 1)) {
            (false, false) => None,
            (true, false) => Some(true),
            _ => Some(false),
        };
        if bit(0) {
            claim.evidence.photos = vec![photo("x")];
        }
        claim.evidence.damage_confirmed = flag(1);
        claim.evidence.documents_match_order = flag(3);
        claim.confirmations.warehouse = answer(5);
        claim.confirmations.delivery_service = answer(7);
        claim.confirmations.category_manager = answer(9);
        claim.confirmations.routing_team = answer(11);
        claim.customer_reply.keeps_item = flag(13);
        claim.customer_reply.insists = flag(15);
        claim.customer_reply.accepts_sorry_coupon = flag(17);
        claim.customer_reply.will_return = flag(19);
        if bit(21) {
            claim.return_shipment.received_at = Some(claim.now);
            claim.return_shipment.shipping_cost = Some(10_000);
        }
        if bit(22) {
            claim.evidence.used_signs = vec![UsedSign::NoProtectiveFilm];
        }
        if bit(23) {
            claim.order.fulfilment = Fulfilment::FirstParty;
            claim.order.courier = Courier::Platform;
        }
        match variant % 5 {
            0 => claim.opened_at = claim.now - 4 * DAY_MS,
            1 => claim.order.delivered_at = None,
            2 => claim.items[0].unit_price = 0,
            // The largest price a claim may hold: the host refuses a larger one.
            3 => claim.items[0].unit_price = arbiter_sdk::contract::MAX_AMOUNT,
            _ => claim.order.total = 0,
        }
    }

    #[test]
    fn every_decision_is_well_formed_and_nothing_panics() {
        let mut history = clean();
        history.earlier_claims = vec![past(ClaimKind::Damaged, sample::NOW - 10 * DAY_MS)];
        let mut decided = 0;
        for kind in KINDS {
            for subkind in SUBKINDS {
                // A spread of the 2^24 fact combinations: a stride through them all.
                for variant in (0..1_u32 << 24).step_by(65_537) {
                    let mut claim = sample::claim(kind);
                    claim.subkind = subkind;
                    bend(&mut claim, variant);
                    for history in [&clean(), &history] {
                        check(&decide(&claim, history, ""));
                        decided += 1;
                    }
                }
            }
        }
        assert!(decided > 10_000, "{decided}");
    }

    #[test]
    fn hostile_numbers_do_not_panic() {
        let mut claim = sample::claim(ClaimKind::Return);
        claim.subkind = Some(ClaimSubkind::ImproperQuality);
        claim.order.fulfilment = Fulfilment::FirstParty;
        claim.now = i64::MIN;
        claim.opened_at = i64::MAX;
        claim.order.delivered_at = Some(i64::MIN);
        claim.items[0].unit_price = -5;
        claim.items[0].quantity_affected = u32::MAX;
        claim.return_shipment.received_at = Some(0);
        claim.return_shipment.shipping_cost = Some(i64::MIN);
        claim.last_customer_reply_at = Some(i64::MAX);
        claim.last_seller_reply_at = Some(i64::MIN);
        let mut history = clean();
        history.earlier_claims = vec![
            past(ClaimKind::Damaged, i64::MIN),
            past(ClaimKind::Damaged, i64::MAX),
        ];
        for kind in KINDS {
            claim.kind = kind;
            for subkind in SUBKINDS {
                claim.subkind = subkind;
                check(&decide(&claim, &history, ""));
            }
        }
        claim.items.clear();
        check(&decide(&claim, &history, ""));
    }
}
