//! The decision request, field for field as the marketplace sends it.

use serde::{Deserialize, Serialize};

use serde::Deserializer;

use super::Timestamp;

/// Reads `null` like an absent object: the marketplace sends either.
fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// `POST /v1/decisions` body. Fields after `customer` may be absent or null.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    pub claim_id: String,
    pub revision: u32,
    pub shop_id: String,
    pub now: Timestamp,
    pub opened_at: Timestamp,
    pub kind: ClaimKind,
    #[serde(default)]
    pub subkind: Option<ClaimSubkind>,
    #[serde(default)]
    pub desired_outcome: Option<DesiredOutcome>,
    pub order: Order,
    pub items: Vec<Item>,
    pub customer: Customer,
    #[serde(default, deserialize_with = "null_as_default")]
    pub evidence: Evidence,
    #[serde(default, deserialize_with = "null_as_default")]
    pub confirmations: Confirmations,
    #[serde(default, deserialize_with = "null_as_default")]
    pub return_shipment: ReturnShipment,
    #[serde(default, deserialize_with = "null_as_default")]
    pub customer_reply: CustomerReply,
    /// Added to the contract: support marked the ticket as fraud before the checks.
    #[serde(default)]
    pub marked_as_fraud: bool,
    #[serde(default)]
    pub last_seller_reply_at: Option<Timestamp>,
    #[serde(default)]
    pub last_customer_reply_at: Option<Timestamp>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimKind {
    Damaged,
    ShortShipment,
    IncompleteSet,
    WrongItem,
    DocumentRequest,
    Return,
    SuspectedUsed,
    DeliveryProblem,
    UnknownOrder,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimSubkind {
    DifferentItem,
    DifferentModel,
    WrongColorOrSize,
    Receipt,
    WarrantyCard,
    ProperQuality,
    ImproperQuality,
    CannotDeliver,
    InconvenientDate,
    RescheduledWithoutNotice,
    DirtyOrCrumpledBox,
}

impl ClaimSubkind {
    /// The kind this subkind belongs to.
    pub fn kind(self) -> ClaimKind {
        match self {
            Self::DifferentItem | Self::DifferentModel | Self::WrongColorOrSize => {
                ClaimKind::WrongItem
            }
            Self::Receipt | Self::WarrantyCard => ClaimKind::DocumentRequest,
            Self::ProperQuality | Self::ImproperQuality => ClaimKind::Return,
            Self::CannotDeliver
            | Self::InconvenientDate
            | Self::RescheduledWithoutNotice
            | Self::DirtyOrCrumpledBox => ClaimKind::DeliveryProblem,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DesiredOutcome {
    PromoCode,
    Refund,
    Replacement,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Fulfilment {
    #[serde(rename = "1p")]
    FirstParty,
    #[serde(rename = "3p")]
    ThirdParty,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Courier {
    Platform,
    Seller,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Order {
    pub order_id: String,
    pub currency: String,
    pub total: i64,
    pub placed_at: Timestamp,
    #[serde(default)]
    pub delivered_at: Option<Timestamp>,
    pub fulfilment: Fulfilment,
    pub courier: Courier,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    pub sku: String,
    pub title: String,
    pub unit_price: i64,
    pub quantity_ordered: u32,
    pub quantity_affected: u32,
    /// Added to the contract: for an incomplete set, the missing component's price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component_price: Option<i64>,
    pub category: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Customer {
    pub customer_id: String,
    pub account_created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Evidence {
    #[serde(default)]
    pub photos: Vec<Photo>,
    #[serde(default)]
    pub damage_confirmed: Option<bool>,
    #[serde(default)]
    pub documents_match_order: Option<bool>,
    #[serde(default)]
    pub used_signs: Vec<UsedSign>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Photo {
    pub sha256: String,
    pub shows_labels: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UsedSign {
    PreviousRecipientDocuments,
    ForeignAccount,
    NoProtectiveFilm,
    ForeignObjects,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartyAnswer {
    Confirmed,
    Denied,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Confirmations {
    #[serde(default)]
    pub warehouse: Option<PartyAnswer>,
    #[serde(default)]
    pub delivery_service: Option<PartyAnswer>,
    #[serde(default)]
    pub category_manager: Option<PartyAnswer>,
    #[serde(default)]
    pub routing_team: Option<PartyAnswer>,
    #[serde(default)]
    pub courier: Option<PartyAnswer>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReturnShipment {
    #[serde(default)]
    pub received_at: Option<Timestamp>,
    #[serde(default)]
    pub shipping_cost: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerReply {
    #[serde(default)]
    pub keeps_item: Option<bool>,
    #[serde(default)]
    pub insists: Option<bool>,
    #[serde(default)]
    pub accepts_sorry_coupon: Option<bool>,
    #[serde(default)]
    pub will_return: Option<bool>,
}
