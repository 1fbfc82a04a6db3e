//! R5: the customer asks for a receipt or a warranty card. No money moves; the customer
//! is told when the document comes, and a silent document team is followed up.

use arbiter_sdk::prelude::*;
use arbiter_sdk::time::more_than_days_after;
use arbiter_sdk::{Document, DocumentDelivery};

use super::no_rule;
use crate::case::{Case, span};
use crate::step::Step;

pub(super) fn decide(case: &Case) -> Step {
    let claim = case.claim;
    let eta = case.settings.document_eta_days;
    Step::Decided(match (claim.subkind, claim.order.fulfilment) {
        (Some(ClaimSubkind::Receipt), Fulfilment::FirstParty) => Decision::new(Outcome::Inform)
            .with(send(Document::Receipt, DocumentSource::DeliveryService))
            .eta_days(eta)
            .because(
                "R5.1",
                format!(
                    "receipt for goods the platform sold (1p): a duplicate is requested from the delivery service, \
                     due within {eta} days (document_eta_days)"
                ),
            ),
        (Some(ClaimSubkind::Receipt), Fulfilment::ThirdParty) => Decision::escalate(
            "R5.2",
            format!(
                "receipt for goods a seller sold (3p): office staff obtain it from the seller, \
                 due within {eta} days (document_eta_days)"
            ),
        )
        .eta_days(eta),
        (Some(ClaimSubkind::WarrantyCard), _) => warranty_card(case),
        _ => no_rule("a document request without saying whether a receipt or a warranty card is wanted"),
    })
}

/// R5.3: office staff send the warranty card; after `followup_after_days` without it, the
/// document team is followed up.
fn warranty_card(case: &Case) -> Decision {
    let claim = case.claim;
    let eta = case.settings.document_eta_days;
    let followup = case.settings.followup_after_days;
    let decision = Decision::new(Outcome::Inform)
        .with(send(Document::WarrantyCard, DocumentSource::OfficeStaff))
        .eta_days(eta)
        .because(
            "R5.3",
            format!(
                "warranty card: office staff send it within {eta} days (document_eta_days); most goods need no \
                 paper card, certified service centres find the device by its serial number"
            ),
        );
    if !more_than_days_after(claim.now, claim.opened_at, followup) {
        return decision;
    }
    decision.with(Action::FollowUp).because(
        "R5.3",
        format!(
            "{} since the request, more than followup_after_days {followup}: following up with the document team",
            span(claim.now.saturating_sub(claim.opened_at))
        ),
    )
}

fn send(document: Document, via: DocumentSource) -> Action {
    Action::SendDocument(DocumentDelivery { document, via })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::decide_default;
    use arbiter_sdk::sample;
    use arbiter_sdk::time::DAY_MS;
    use rstest::rstest;

    fn request(subkind: ClaimSubkind, fulfilment: Fulfilment) -> Claim {
        let mut claim = sample::claim(ClaimKind::DocumentRequest);
        claim.subkind = Some(subkind);
        claim.order.fulfilment = fulfilment;
        claim
    }

    #[test]
    fn r5_1_first_party_receipt_comes_from_the_delivery_service() {
        let decision = decide_default(&request(ClaimSubkind::Receipt, Fulfilment::FirstParty));
        assert_eq!(decision.outcome, Outcome::Inform);
        assert_eq!(
            decision.actions,
            vec![send(Document::Receipt, DocumentSource::DeliveryService)]
        );
        assert_eq!(decision.eta_days, Some(3));
        assert_eq!(decision.payer, None);
        assert_eq!(decision.rules(), vec!["R5.1"]);
    }

    #[test]
    fn r5_2_seller_receipt_goes_to_office_staff() {
        let decision = decide_default(&request(ClaimSubkind::Receipt, Fulfilment::ThirdParty));
        assert_eq!(decision.outcome, Outcome::Escalate);
        assert_eq!(decision.eta_days, Some(3));
        assert_eq!(decision.rules(), vec!["R5.2"]);
    }

    #[rstest]
    #[case::first_party(Fulfilment::FirstParty)]
    #[case::third_party(Fulfilment::ThirdParty)]
    fn r5_3_warranty_card_via_office_staff(#[case] fulfilment: Fulfilment) {
        let decision = decide_default(&request(ClaimSubkind::WarrantyCard, fulfilment));
        assert_eq!(decision.outcome, Outcome::Inform);
        assert_eq!(
            decision.actions,
            vec![send(Document::WarrantyCard, DocumentSource::OfficeStaff)]
        );
        assert_eq!(decision.eta_days, Some(3));
        assert_eq!(decision.rules(), vec!["R5.3"]);
        assert!(decision.reasons[0].text.contains("serial number"));
    }

    #[rstest]
    #[case::at_the_limit(2 * DAY_MS, false)]
    #[case::past_the_limit(2 * DAY_MS + 1, true)]
    fn r5_3_follows_up_a_silent_document_team(#[case] since_opened: i64, #[case] follow_up: bool) {
        let mut claim = request(ClaimSubkind::WarrantyCard, Fulfilment::ThirdParty);
        claim.opened_at = claim.now - since_opened;
        claim.last_customer_reply_at = Some(claim.now);
        let decision = decide_default(&claim);
        assert_eq!(decision.actions.contains(&Action::FollowUp), follow_up);
        assert_eq!(decision.outcome, Outcome::Inform);
    }

    #[test]
    fn r5_document_eta_is_a_setting() {
        let claim = request(ClaimSubkind::Receipt, Fulfilment::FirstParty);
        let decision = crate::testing::decide(
            &claim,
            &crate::testing::clean(),
            r#"{"document_eta_days": 7}"#,
        );
        assert_eq!(decision.eta_days, Some(7));
    }
}
