//! Between the contract's JSON types and the WIT types policies see.
//!
//! Requests go in as WIT claims (times as UTC milliseconds); the history is cut to what
//! the WIT promises (365 days, newest first, at most 200, never the claim itself).
//! Decisions come back as contract types; checking them is [`crate::envelope`]'s job.

use crate::contract::{self as c, DecisionRequest};
use crate::history::{CustomerHistory, DAY_MS, HISTORY_WINDOW_DAYS, MAX_EARLIER_CLAIMS};
use crate::world::types as w;

/// The WIT claim for `request`.
pub fn claim(request: &DecisionRequest) -> w::Claim {
    let order = &request.order;
    w::Claim {
        claim_id: request.claim_id.clone(),
        revision: request.revision,
        shop_id: request.shop_id.clone(),
        now: request.now.unix_millis(),
        opened_at: request.opened_at.unix_millis(),
        kind: claim_kind(request.kind),
        subkind: request.subkind.map(claim_subkind),
        desired_outcome: request.desired_outcome.map(|desired| match desired {
            c::DesiredOutcome::PromoCode => w::DesiredOutcome::PromoCode,
            c::DesiredOutcome::Refund => w::DesiredOutcome::Refund,
            c::DesiredOutcome::Replacement => w::DesiredOutcome::Replacement,
            c::DesiredOutcome::Other => w::DesiredOutcome::Other,
        }),
        order: w::Order {
            order_id: order.order_id.clone(),
            currency: order.currency.clone(),
            total: order.total,
            placed_at: order.placed_at.unix_millis(),
            delivered_at: order.delivered_at.map(c::Timestamp::unix_millis),
            fulfilment: match order.fulfilment {
                c::Fulfilment::FirstParty => w::Fulfilment::FirstParty,
                c::Fulfilment::ThirdParty => w::Fulfilment::ThirdParty,
            },
            courier: match order.courier {
                c::Courier::Platform => w::Courier::Platform,
                c::Courier::Seller => w::Courier::Seller,
            },
        },
        items: request
            .items
            .iter()
            .map(|item| w::Item {
                sku: item.sku.clone(),
                title: item.title.clone(),
                unit_price: item.unit_price,
                quantity_ordered: item.quantity_ordered,
                quantity_affected: item.quantity_affected,
                component_price: item.component_price,
                category: item.category.clone(),
            })
            .collect(),
        customer: w::Customer {
            customer_id: request.customer.customer_id.clone(),
            account_created_at: request.customer.account_created_at.unix_millis(),
        },
        evidence: w::Evidence {
            photos: request
                .evidence
                .photos
                .iter()
                .map(|photo| w::Photo {
                    sha256: photo.sha256.clone(),
                    shows_labels: photo.shows_labels,
                })
                .collect(),
            damage_confirmed: request.evidence.damage_confirmed,
            documents_match_order: request.evidence.documents_match_order,
            used_signs: request
                .evidence
                .used_signs
                .iter()
                .map(|sign| match sign {
                    c::UsedSign::PreviousRecipientDocuments => {
                        w::UsedSign::PreviousRecipientDocuments
                    }
                    c::UsedSign::ForeignAccount => w::UsedSign::ForeignAccount,
                    c::UsedSign::NoProtectiveFilm => w::UsedSign::NoProtectiveFilm,
                    c::UsedSign::ForeignObjects => w::UsedSign::ForeignObjects,
                })
                .collect(),
        },
        confirmations: w::Confirmations {
            warehouse: request.confirmations.warehouse.map(party_answer),
            delivery_service: request.confirmations.delivery_service.map(party_answer),
            category_manager: request.confirmations.category_manager.map(party_answer),
            routing_team: request.confirmations.routing_team.map(party_answer),
            courier: request.confirmations.courier.map(party_answer),
        },
        return_shipment: w::ReturnShipment {
            received_at: request
                .return_shipment
                .received_at
                .map(c::Timestamp::unix_millis),
            shipping_cost: request.return_shipment.shipping_cost,
        },
        customer_reply: w::CustomerReply {
            keeps_item: request.customer_reply.keeps_item,
            insists: request.customer_reply.insists,
            accepts_sorry_coupon: request.customer_reply.accepts_sorry_coupon,
            will_return: request.customer_reply.will_return,
        },
        marked_as_fraud: request.marked_as_fraud,
        last_seller_reply_at: request.last_seller_reply_at.map(c::Timestamp::unix_millis),
        last_customer_reply_at: request
            .last_customer_reply_at
            .map(c::Timestamp::unix_millis),
    }
}

/// The WIT history for `request`: earlier claims within 365 days before `now`, newest
/// first, at most [`MAX_EARLIER_CLAIMS`], never `request`'s own claim; one photo entry
/// for each of the claim's photos, in order.
pub fn history(history: &CustomerHistory, request: &DecisionRequest) -> w::History {
    let now = request.now.unix_millis();
    let oldest = now.saturating_sub(HISTORY_WINDOW_DAYS * DAY_MS);
    let mut earlier: Vec<_> = history
        .earlier_claims
        .iter()
        .filter(|past| past.claim_id != request.claim_id)
        .filter(|past| {
            let opened = past.opened_at.unix_millis();
            opened >= oldest && opened <= now
        })
        .collect();
    earlier.sort_by_key(|past| std::cmp::Reverse(past.opened_at));
    earlier.truncate(MAX_EARLIER_CLAIMS);

    w::History {
        earlier_claims: earlier
            .into_iter()
            .map(|past| w::PastClaim {
                claim_id: past.claim_id.clone(),
                kind: claim_kind(past.kind),
                opened_at: past.opened_at.unix_millis(),
                outcome: outcome_to_wit(past.outcome),
                money_given: w::Money {
                    amount: past.money_given.amount,
                    currency: past.money_given.currency.clone(),
                },
                sorry_coupon_given: past.sorry_coupon_given,
                same_shop: past.same_shop,
            })
            .collect(),
        photos: request
            .evidence
            .photos
            .iter()
            .map(|photo| {
                let known = history
                    .photos
                    .iter()
                    .find(|seen| seen.sha256 == photo.sha256);
                w::PhotoHistory {
                    sha256: photo.sha256.clone(),
                    seen_in_own_claims: known.is_some_and(|seen| seen.seen_in_own_claims),
                    seen_in_others_claims: known.is_some_and(|seen| seen.seen_in_others_claims),
                }
            })
            .collect(),
        on_hard_fraud_list: history.on_hard_fraud_list,
    }
}

/// A WIT action in the contract's shape.
pub fn action(action: &w::Action) -> c::Action {
    match action {
        w::Action::PromoCode(money) => c::Action::PromoCode {
            amount: money.amount,
            currency: money.currency.clone(),
        },
        w::Action::SorryCoupon(money) => c::Action::SorryCoupon {
            amount: money.amount,
            currency: money.currency.clone(),
        },
        w::Action::Refund(refund) => c::Action::Refund {
            amount: refund.amount,
            currency: refund.currency.clone(),
            requires_return: refund.requires_return,
        },
        w::Action::ReturnShippingRefund(money) => c::Action::ReturnShippingRefund {
            amount: money.amount,
            currency: money.currency.clone(),
        },
        w::Action::Replacement => c::Action::Replacement,
        w::Action::RequestEvidence(items) => c::Action::RequestEvidence {
            items: items.clone(),
        },
        w::Action::RequestConfirmation(party) => c::Action::RequestConfirmation {
            from: match party {
                w::ConfirmingParty::Warehouse => c::ConfirmingParty::Warehouse,
                w::ConfirmingParty::DeliveryService => c::ConfirmingParty::DeliveryService,
                w::ConfirmingParty::CategoryManager => c::ConfirmingParty::CategoryManager,
                w::ConfirmingParty::RoutingTeam => c::ConfirmingParty::RoutingTeam,
            },
        },
        w::Action::RequestRefundApplication => c::Action::RequestRefundApplication,
        w::Action::Escalate(escalation) => c::Action::Escalate {
            to: match escalation.to {
                w::EscalationTarget::OfficeStaff => c::EscalationTarget::OfficeStaff,
            },
            note: escalation.note.clone(),
        },
        w::Action::SendDocument(delivery) => c::Action::SendDocument {
            document: match delivery.document {
                w::Document::Receipt => c::Document::Receipt,
                w::Document::WarrantyCard => c::Document::WarrantyCard,
            },
            via: match delivery.via {
                w::DocumentSource::DeliveryService => c::DocumentSource::DeliveryService,
                w::DocumentSource::OfficeStaff => c::DocumentSource::OfficeStaff,
            },
        },
        w::Action::FollowUp => c::Action::FollowUp,
        w::Action::ExplainCorrectItem => c::Action::ExplainCorrectItem,
        w::Action::StartReturn(quality) => c::Action::StartReturn {
            quality: match quality {
                w::GoodsQuality::Proper => c::GoodsQuality::Proper,
                w::GoodsQuality::Improper => c::GoodsQuality::Improper,
            },
        },
        w::Action::OfferReorder => c::Action::OfferReorder,
        w::Action::UpdateProductCard => c::Action::UpdateProductCard,
        w::Action::CancelOrder => c::Action::CancelOrder,
        w::Action::BlockAccount => c::Action::BlockAccount,
        w::Action::RelabelTicket => c::Action::RelabelTicket,
    }
}

pub fn outcome(outcome: w::Outcome) -> c::Outcome {
    match outcome {
        w::Outcome::Compensate => c::Outcome::Compensate,
        w::Outcome::Pending => c::Outcome::Pending,
        w::Outcome::Escalate => c::Outcome::Escalate,
        w::Outcome::Reject => c::Outcome::Reject,
        w::Outcome::Close => c::Outcome::Close,
        w::Outcome::Inform => c::Outcome::Inform,
    }
}

pub fn payer(payer: w::Payer) -> c::Payer {
    match payer {
        w::Payer::Seller => c::Payer::Seller,
        w::Payer::Platform => c::Payer::Platform,
    }
}

pub fn risk(risk: w::Risk) -> c::Risk {
    match risk {
        w::Risk::None => c::Risk::None,
        w::Risk::Soft => c::Risk::Soft,
        w::Risk::Hard => c::Risk::Hard,
    }
}

fn outcome_to_wit(outcome: c::Outcome) -> w::Outcome {
    match outcome {
        c::Outcome::Compensate => w::Outcome::Compensate,
        c::Outcome::Pending => w::Outcome::Pending,
        c::Outcome::Escalate => w::Outcome::Escalate,
        c::Outcome::Reject => w::Outcome::Reject,
        c::Outcome::Close => w::Outcome::Close,
        c::Outcome::Inform => w::Outcome::Inform,
    }
}

fn claim_kind(kind: c::ClaimKind) -> w::ClaimKind {
    match kind {
        c::ClaimKind::Damaged => w::ClaimKind::Damaged,
        c::ClaimKind::ShortShipment => w::ClaimKind::ShortShipment,
        c::ClaimKind::IncompleteSet => w::ClaimKind::IncompleteSet,
        c::ClaimKind::WrongItem => w::ClaimKind::WrongItem,
        c::ClaimKind::DocumentRequest => w::ClaimKind::DocumentRequest,
        c::ClaimKind::Return => w::ClaimKind::Return,
        c::ClaimKind::SuspectedUsed => w::ClaimKind::SuspectedUsed,
        c::ClaimKind::DeliveryProblem => w::ClaimKind::DeliveryProblem,
        c::ClaimKind::UnknownOrder => w::ClaimKind::UnknownOrder,
        c::ClaimKind::Other => w::ClaimKind::Other,
    }
}

fn claim_subkind(subkind: c::ClaimSubkind) -> w::ClaimSubkind {
    match subkind {
        c::ClaimSubkind::DifferentItem => w::ClaimSubkind::DifferentItem,
        c::ClaimSubkind::DifferentModel => w::ClaimSubkind::DifferentModel,
        c::ClaimSubkind::WrongColorOrSize => w::ClaimSubkind::WrongColorOrSize,
        c::ClaimSubkind::Receipt => w::ClaimSubkind::Receipt,
        c::ClaimSubkind::WarrantyCard => w::ClaimSubkind::WarrantyCard,
        c::ClaimSubkind::ProperQuality => w::ClaimSubkind::ProperQuality,
        c::ClaimSubkind::ImproperQuality => w::ClaimSubkind::ImproperQuality,
        c::ClaimSubkind::CannotDeliver => w::ClaimSubkind::CannotDeliver,
        c::ClaimSubkind::InconvenientDate => w::ClaimSubkind::InconvenientDate,
        c::ClaimSubkind::RescheduledWithoutNotice => w::ClaimSubkind::RescheduledWithoutNotice,
        c::ClaimSubkind::DirtyOrCrumpledBox => w::ClaimSubkind::DirtyOrCrumpledBox,
    }
}

fn party_answer(answer: c::PartyAnswer) -> w::PartyAnswer {
    match answer {
        c::PartyAnswer::Confirmed => w::PartyAnswer::Confirmed,
        c::PartyAnswer::Denied => w::PartyAnswer::Denied,
    }
}
