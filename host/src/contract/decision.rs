//! The decision, in the contract's JSON shape.

use arbiter_contract_rules as rules;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::schema::{Amount, Currency, Id, ModuleDigestText};

/// What `POST /v1/decisions` answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DecisionResponse {
    #[schema(value_type = Id)]
    pub decision_id: String,
    #[schema(value_type = Id)]
    pub claim_id: String,
    pub revision: u32,
    pub outcome: Outcome,
    pub actions: Vec<Action>,
    /// Who pays the money actions; null when there are none.
    pub payer: Option<Payer>,
    /// Days until the marketplace acts (a confirmation asked for, a return).
    pub eta_days: Option<u32>,
    pub risk: Risk,
    pub reasons: Vec<Reason>,
    pub policy: PolicyRef,
    pub fallback_applied: bool,
    /// Added to the contract: which module failure made the host fall back
    /// (`guest_timeout`, `invalid_decision`, ...), when one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
}

impl DecisionResponse {
    /// The money the decision gives (minor units of the claim's currency), summed over
    /// its money actions.
    pub fn money_given(&self) -> i64 {
        self.actions
            .iter()
            .filter_map(Action::money_amount)
            .fold(0, i64::saturating_add)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Compensate,
    Pending,
    Escalate,
    Reject,
    Close,
    Inform,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Payer {
    Seller,
    Platform,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Risk {
    None,
    Soft,
    Hard,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConfirmingParty {
    Warehouse,
    DeliveryService,
    CategoryManager,
    RoutingTeam,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Document {
    Receipt,
    WarrantyCard,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DocumentSource {
    DeliveryService,
    OfficeStaff,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GoodsQuality {
    Proper,
    Improper,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EscalationTarget {
    OfficeStaff,
}

/// One step the marketplace carries out, tagged by `type`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Action {
    PromoCode {
        #[schema(value_type = Amount)]
        amount: i64,
        #[schema(value_type = Currency)]
        currency: String,
    },
    SorryCoupon {
        #[schema(value_type = Amount)]
        amount: i64,
        #[schema(value_type = Currency)]
        currency: String,
    },
    Refund {
        #[schema(value_type = Amount)]
        amount: i64,
        #[schema(value_type = Currency)]
        currency: String,
        requires_return: bool,
    },
    ReturnShippingRefund {
        #[schema(value_type = Amount)]
        amount: i64,
        #[schema(value_type = Currency)]
        currency: String,
    },
    Replacement,
    RequestEvidence {
        items: Vec<String>,
    },
    RequestConfirmation {
        from: ConfirmingParty,
    },
    RequestRefundApplication,
    Escalate {
        to: EscalationTarget,
        note: String,
    },
    SendDocument {
        document: Document,
        via: DocumentSource,
    },
    FollowUp,
    ExplainCorrectItem,
    StartReturn {
        quality: GoodsQuality,
    },
    OfferReorder,
    UpdateProductCard,
    CancelOrder,
    BlockAccount,
    RelabelTicket,
}

impl Action {
    /// An escalation to office staff with `note`.
    pub fn escalate_to_office_staff(note: impl Into<String>) -> Self {
        Self::Escalate {
            to: EscalationTarget::OfficeStaff,
            note: note.into(),
        }
    }

    /// The amount of a money action.
    pub fn money_amount(&self) -> Option<i64> {
        self.view().money().map(|money| money.amount)
    }

    /// The amount and currency of a money action.
    pub fn money(&self) -> Option<(i64, &str)> {
        self.view()
            .money()
            .map(|money| (money.amount, money.currency))
    }

    /// Whether the action gives the customer money or goods of value (the contract
    /// rules' compensation: a money action or a replacement).
    pub fn is_compensation(&self) -> bool {
        self.view().is_compensation()
    }

    /// The action as the contract rules read it.
    fn view(&self) -> rules::ActionView<'_> {
        fn money(amount: i64, currency: &str) -> rules::MoneyView<'_> {
            rules::MoneyView { amount, currency }
        }
        match self {
            Self::PromoCode { amount, currency } => {
                rules::ActionView::PromoCode(money(*amount, currency))
            }
            Self::SorryCoupon { amount, currency } => {
                rules::ActionView::SorryCoupon(money(*amount, currency))
            }
            Self::ReturnShippingRefund { amount, currency } => {
                rules::ActionView::ReturnShippingRefund(money(*amount, currency))
            }
            Self::Refund {
                amount,
                currency,
                requires_return,
            } => rules::ActionView::Refund {
                money: money(*amount, currency),
                requires_return: *requires_return,
            },
            Self::Replacement => rules::ActionView::Replacement,
            Self::RequestEvidence { items } => rules::ActionView::RequestEvidence(items),
            Self::Escalate { note, .. } => rules::ActionView::Escalate { note },
            Self::RequestConfirmation { .. }
            | Self::RequestRefundApplication
            | Self::SendDocument { .. }
            | Self::FollowUp
            | Self::ExplainCorrectItem
            | Self::StartReturn { .. }
            | Self::OfferReorder
            | Self::UpdateProductCard
            | Self::CancelOrder
            | Self::BlockAccount
            | Self::RelabelTicket => rules::ActionView::Other,
        }
    }

    /// Whether the action is a promo code or a sorry-coupon.
    pub fn is_promo(&self) -> bool {
        matches!(self, Self::PromoCode { .. } | Self::SorryCoupon { .. })
    }
}

/// Why a decision was taken: the rule id and plain words with the values compared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Reason {
    pub rule: String,
    pub text: String,
}

impl Reason {
    pub fn new(rule: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            rule: rule.into(),
            text: text.into(),
        }
    }
}

/// The policy that made a decision: enough to replay it exactly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PolicyRef {
    /// The compensation module's digest, `sha256:...`.
    #[schema(value_type = ModuleDigestText)]
    pub module: String,
    pub settings_version: u64,
    pub mode: PolicyMode,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PolicyMode {
    Active,
    Shadow,
    Canary,
}
