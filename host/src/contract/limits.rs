//! The contract's bounds, shared by the checks (`validate.rs`) and the description's
//! schemas (`schema.rs`), so the two cannot disagree.

/// The largest amount accepted anywhere, in minor units: the contract rules' bound, the
/// same for a claim's amounts and a module's.
pub const MAX_AMOUNT: i64 = arbiter_contract_rules::MAX_AMOUNT;

/// The longest id (claim, shop, order, customer, sku) accepted, in characters (as JSON
/// Schema's `maxLength` counts).
pub const MAX_ID_LEN: usize = 128;
