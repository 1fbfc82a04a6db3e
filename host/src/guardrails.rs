//! The operator's spending caps: set through the API, kept in the ledger, applied by the
//! envelope over every decision. A neutral type, so storage and envelope need not know
//! each other.

/// The operator's spending caps, in minor units; none means no cap.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
)]
#[serde(deny_unknown_fields)]
pub struct Guardrails {
    /// The most compensation one shop may give in a UTC day; null for no cap.
    #[serde(default)]
    #[schema(value_type = Option<crate::contract::Amount>)]
    pub shop_daily_cap: Option<i64>,
    /// The most compensation one customer may get in 30 days; null for no cap.
    #[serde(default)]
    #[schema(value_type = Option<crate::contract::Amount>)]
    pub customer_30d_cap: Option<i64>,
}
