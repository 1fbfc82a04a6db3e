//! The rules of each claim kind (R1-R8), one module per kind, and R11 for anything
//! they do not cover.

mod damaged;
mod delivery;
mod documents;
mod incomplete_set;
pub(crate) mod returns;
mod short_shipment;
mod suspected_used;
mod wrong_item;

use arbiter_sdk::prelude::*;

use crate::case::Case;
use crate::step::Step;

/// The next step by the rules of the claim's kind.
pub(crate) fn decide(case: &Case) -> Step {
    let claim = case.claim;
    if !subkind_fits(claim.kind, claim.subkind) {
        return Step::Decided(no_rule(&format!(
            "the claim is of kind {} with subkind {}, which do not go together",
            kind_name(claim.kind),
            subkind_name(claim.subkind)
        )));
    }
    match claim.kind {
        ClaimKind::Damaged => damaged::decide(case),
        ClaimKind::ShortShipment => short_shipment::decide(case),
        ClaimKind::IncompleteSet => incomplete_set::decide(case),
        ClaimKind::WrongItem => wrong_item::decide(case),
        ClaimKind::DocumentRequest => documents::decide(case),
        ClaimKind::Return => returns::decide(case),
        ClaimKind::SuspectedUsed => suspected_used::decide(case),
        ClaimKind::DeliveryProblem => delivery::decide(case),
        // Unknown orders are decided before the kinds (U1); kept here so the match is whole.
        ClaimKind::UnknownOrder | ClaimKind::Other => Step::Decided(no_rule(&format!(
            "the claim is of kind {}, which no rule of R1-R8 covers",
            kind_name(claim.kind)
        ))),
    }
}

/// R11: no rule gives an answer. Office staff decide; `checked` says what was looked at.
/// Never a payout.
pub(crate) fn no_rule(checked: &str) -> Decision {
    Decision::escalate(
        "R11",
        format!("{checked}: no rule gives a ready answer, office staff decide"),
    )
}

/// Whether `subkind` belongs to `kind` (the contract's list). A wrong item may come
/// without a subkind (its rules do not depend on it); a document request, a return and a
/// delivery problem need one, which their modules check.
fn subkind_fits(kind: ClaimKind, subkind: Option<ClaimSubkind>) -> bool {
    use ClaimSubkind as S;
    let Some(subkind) = subkind else {
        return true;
    };
    match kind {
        ClaimKind::WrongItem => matches!(
            subkind,
            S::DifferentItem | S::DifferentModel | S::WrongColorOrSize
        ),
        ClaimKind::DocumentRequest => matches!(subkind, S::Receipt | S::WarrantyCard),
        ClaimKind::Return => matches!(subkind, S::ProperQuality | S::ImproperQuality),
        ClaimKind::DeliveryProblem => matches!(
            subkind,
            S::CannotDeliver
                | S::InconvenientDate
                | S::RescheduledWithoutNotice
                | S::DirtyOrCrumpledBox
        ),
        _ => false,
    }
}

/// The contract's name of a claim kind, for reasons.
pub(crate) fn kind_name(kind: ClaimKind) -> &'static str {
    match kind {
        ClaimKind::Damaged => "damaged",
        ClaimKind::ShortShipment => "short_shipment",
        ClaimKind::IncompleteSet => "incomplete_set",
        ClaimKind::WrongItem => "wrong_item",
        ClaimKind::DocumentRequest => "document_request",
        ClaimKind::Return => "return",
        ClaimKind::SuspectedUsed => "suspected_used",
        ClaimKind::DeliveryProblem => "delivery_problem",
        ClaimKind::UnknownOrder => "unknown_order",
        ClaimKind::Other => "other",
    }
}

/// The contract's name of a subkind (`none` when absent), for reasons.
pub(crate) fn subkind_name(subkind: Option<ClaimSubkind>) -> &'static str {
    match subkind {
        None => "none",
        Some(ClaimSubkind::DifferentItem) => "different_item",
        Some(ClaimSubkind::DifferentModel) => "different_model",
        Some(ClaimSubkind::WrongColorOrSize) => "wrong_color_or_size",
        Some(ClaimSubkind::Receipt) => "receipt",
        Some(ClaimSubkind::WarrantyCard) => "warranty_card",
        Some(ClaimSubkind::ProperQuality) => "proper_quality",
        Some(ClaimSubkind::ImproperQuality) => "improper_quality",
        Some(ClaimSubkind::CannotDeliver) => "cannot_deliver",
        Some(ClaimSubkind::InconvenientDate) => "inconvenient_date",
        Some(ClaimSubkind::RescheduledWithoutNotice) => "rescheduled_without_notice",
        Some(ClaimSubkind::DirtyOrCrumpledBox) => "dirty_or_crumpled_box",
    }
}

/// The used signs in words, for reasons: "missing protective films, foreign objects".
pub(crate) fn used_signs_text(signs: &[UsedSign]) -> String {
    signs
        .iter()
        .map(|sign| match sign {
            UsedSign::PreviousRecipientDocuments => {
                "stickers or documents with a previous recipient's name"
            }
            UsedSign::ForeignAccount => "another person's account on the device",
            UsedSign::NoProtectiveFilm => "missing protective films",
            UsedSign::ForeignObjects => "foreign objects in the factory packaging",
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::decide_default;
    use arbiter_sdk::sample;
    use rstest::rstest;

    #[rstest]
    #[case::other_kind(ClaimKind::Other, None)]
    #[case::damaged_with_a_subkind(ClaimKind::Damaged, Some(ClaimSubkind::Receipt))]
    #[case::return_with_a_delivery_subkind(ClaimKind::Return, Some(ClaimSubkind::CannotDeliver))]
    #[case::wrong_item_with_a_return_subkind(
        ClaimKind::WrongItem,
        Some(ClaimSubkind::ProperQuality)
    )]
    #[case::document_without_subkind(ClaimKind::DocumentRequest, None)]
    #[case::return_without_subkind(ClaimKind::Return, None)]
    #[case::delivery_without_subkind(ClaimKind::DeliveryProblem, None)]
    fn uncovered_claims_go_to_office_staff(
        #[case] kind: ClaimKind,
        #[case] subkind: Option<ClaimSubkind>,
    ) {
        let mut claim = sample::claim(kind);
        claim.subkind = subkind;
        let decision = decide_default(&claim);
        assert_eq!(decision.outcome, Outcome::Escalate);
        assert_eq!(decision.rules(), vec!["R11"]);
        assert_eq!(decision.payer, None);
        assert!(matches!(decision.actions[..], [Action::Escalate(_)]));
        assert!(!decision.moves_money());
    }
}
