//! The decision request, field for field as the marketplace sends it.

use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

use super::Timestamp;
use super::schema::{Amount, Currency, Id, PhotoHash, ShopIdText};

/// Reads `null` like an absent object: the marketplace sends either.
fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// `POST /v1/decisions` body. Fields after `customer` may be absent or null.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    #[schema(value_type = Id)]
    pub claim_id: String,
    /// 1 for a new claim; a claim decided again (new facts) comes with the next one.
    #[schema(minimum = 1, maximum = 4294967295_u64)]
    pub revision: u32,
    #[schema(value_type = ShopIdText)]
    pub shop_id: String,
    pub now: Timestamp,
    /// Not later than `now`.
    pub opened_at: Timestamp,
    pub kind: ClaimKind,
    /// Must belong to `kind` (`different_item` to `wrong_item`, say).
    #[serde(default)]
    pub subkind: Option<ClaimSubkind>,
    #[serde(default)]
    pub desired_outcome: Option<DesiredOutcome>,
    pub order: Order,
    /// 1 to 1,000 items.
    #[schema(min_items = 1, max_items = 1000)]
    pub items: Vec<Item>,
    pub customer: Customer,
    /// Absent or null: no evidence.
    #[serde(default, deserialize_with = "null_as_default")]
    #[schema(nullable)]
    pub evidence: Evidence,
    /// Absent or null: nobody asked yet.
    #[serde(default, deserialize_with = "null_as_default")]
    #[schema(nullable)]
    pub confirmations: Confirmations,
    /// Absent or null: nothing sent back.
    #[serde(default, deserialize_with = "null_as_default")]
    #[schema(nullable)]
    pub return_shipment: ReturnShipment,
    /// Absent or null: the customer has not answered.
    #[serde(default, deserialize_with = "null_as_default")]
    #[schema(nullable)]
    pub customer_reply: CustomerReply,
    /// Added to the contract: support marked the ticket as fraud before the checks.
    #[serde(default)]
    #[schema(default = false)]
    pub marked_as_fraud: bool,
    #[serde(default)]
    pub last_seller_reply_at: Option<Timestamp>,
    #[serde(default)]
    pub last_customer_reply_at: Option<Timestamp>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DesiredOutcome {
    PromoCode,
    Refund,
    Replacement,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum Fulfilment {
    #[serde(rename = "1p")]
    FirstParty,
    #[serde(rename = "3p")]
    ThirdParty,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Courier {
    Platform,
    Seller,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Order {
    #[schema(value_type = Id)]
    pub order_id: String,
    #[schema(value_type = Currency)]
    pub currency: String,
    #[schema(value_type = Amount)]
    pub total: i64,
    pub placed_at: Timestamp,
    /// Not earlier than `placed_at`.
    #[serde(default)]
    pub delivered_at: Option<Timestamp>,
    /// `1p`: the platform sold it; `3p`: a seller sold it.
    pub fulfilment: Fulfilment,
    pub courier: Courier,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Item {
    #[schema(value_type = Id)]
    pub sku: String,
    #[schema(max_length = 1000)]
    pub title: String,
    #[schema(value_type = Amount)]
    pub unit_price: i64,
    #[schema(minimum = 1, maximum = 4294967295_u64)]
    pub quantity_ordered: u32,
    /// Not more than `quantity_ordered`.
    #[schema(minimum = 0, maximum = 4294967295_u64)]
    pub quantity_affected: u32,
    /// Added to the contract: for an incomplete set, the missing component's price (the
    /// claim is then worth this, not the whole set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Amount>)]
    pub component_price: Option<i64>,
    #[schema(max_length = 1000)]
    pub category: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Customer {
    #[schema(value_type = Id)]
    pub customer_id: String,
    pub account_created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Evidence {
    /// At most 100 photos.
    #[serde(default)]
    #[schema(max_items = 100)]
    pub photos: Vec<Photo>,
    #[serde(default)]
    pub damage_confirmed: Option<bool>,
    #[serde(default)]
    pub documents_match_order: Option<bool>,
    #[serde(default)]
    pub used_signs: Vec<UsedSign>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Photo {
    #[schema(value_type = PhotoHash)]
    pub sha256: String,
    pub shows_labels: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UsedSign {
    PreviousRecipientDocuments,
    ForeignAccount,
    NoProtectiveFilm,
    ForeignObjects,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PartyAnswer {
    Confirmed,
    Denied,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ToSchema)]
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

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnShipment {
    #[serde(default)]
    pub received_at: Option<Timestamp>,
    #[serde(default)]
    #[schema(value_type = Option<Amount>)]
    pub shipping_cost: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ToSchema)]
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
