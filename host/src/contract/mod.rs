//! The marketplace's v1 contract (`POST /v1/decisions`): the request and the decision
//! in their JSON shape, parsed strictly and validated with the failing field's path.
//!
//! Names follow `shared/contract.md` exactly. Unknown fields are rejected, so a typo
//! never passes silently; amounts are integer minor units; times are RFC 3339.

mod decision;
mod field_error;
mod json;
mod objects_only;
mod parse;
mod request;
mod timestamp;
mod validate;

pub use decision::{
    Action, ConfirmingParty, DecisionResponse, Document, DocumentSource, EscalationTarget,
    GoodsQuality, Outcome, Payer, PolicyMode, PolicyRef, Reason, Risk,
};
pub use field_error::FieldError;
pub use json::{parse_json, parse_object};
pub use parse::parse_request;
pub use request::{
    ClaimKind, ClaimSubkind, Confirmations, Courier, Customer, CustomerReply, DecisionRequest,
    DesiredOutcome, Evidence, Fulfilment, Item, Order, PartyAnswer, Photo, ReturnShipment,
    UsedSign,
};
pub use timestamp::Timestamp;
pub use validate::{MAX_AMOUNT, check_id, check_shop_id};

#[cfg(test)]
mod tests;
