//! The marketplace's v1 contract (`POST /v1/decisions`): the request and the decision
//! in their JSON shape, parsed strictly and validated with the failing field's path.
//!
//! Names follow `shared/contract.md` exactly. Unknown fields are rejected, so a typo
//! never passes silently; amounts are integer minor units; times are RFC 3339.

mod decision;
mod field_error;
mod json;
mod limits;
mod objects_only;
mod parse;
mod request;
mod schema;
mod timestamp;
mod validate;

pub use decision::{
    Action, ConfirmingParty, DecisionResponse, Document, DocumentSource, EscalationTarget,
    GoodsQuality, Outcome, Payer, PolicyMode, PolicyRef, Reason, Risk,
};
pub use field_error::FieldError;
pub use json::{parse_json, parse_object};
pub use limits::MAX_AMOUNT;
pub use objects_only::whole_number;
pub use parse::parse_request;
pub use request::{
    ClaimKind, ClaimSubkind, Confirmations, Courier, Customer, CustomerReply, DecisionRequest,
    DesiredOutcome, Evidence, Fulfilment, Item, Order, PartyAnswer, Photo, ReturnShipment,
    UsedSign,
};
pub use schema::{Amount, Currency, Id, ModuleDigestText, Money, PhotoHash, ShopIdText};
pub use timestamp::Timestamp;
pub use validate::{check_id, check_shop_id};

#[cfg(test)]
mod tests;
