//! The marketplace's v1 contract (`POST /v1/decisions`): the request and the decision
//! in their JSON shape, parsed strictly and validated with the failing field's path.
//!
//! Names follow `shared/contract.md` exactly. Unknown fields are rejected, so a typo
//! never passes silently; amounts are integer minor units; times are RFC 3339.

mod decision;
mod parse;
mod request;
mod timestamp;
mod validate;

pub use decision::{
    Action, ConfirmingParty, DecisionResponse, Document, DocumentSource, EscalationTarget,
    GoodsQuality, Outcome, Payer, PolicyMode, PolicyRef, Reason, Risk,
};
pub use parse::{FieldError, parse_request};
pub use request::{
    ClaimKind, ClaimSubkind, Confirmations, Courier, Customer, CustomerReply, DecisionRequest,
    DesiredOutcome, Evidence, Fulfilment, Item, Order, PartyAnswer, Photo, ReturnShipment,
    UsedSign,
};
pub use timestamp::Timestamp;
pub use validate::MAX_AMOUNT;

#[cfg(test)]
mod tests;
