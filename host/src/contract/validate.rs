//! The checks serde's types cannot express: non-negative amounts within bounds,
//! quantities that add up, ids and hashes of a sane shape, a subkind that fits its kind.

use super::field_error::FieldError;
use super::limits::{MAX_AMOUNT, MAX_ID_LEN};
use super::{ClaimKind, DecisionRequest};

/// The longest free text (titles, categories) accepted, in characters.
const MAX_TEXT_LEN: usize = 1_000;
/// The most items in one claim.
const MAX_ITEMS: usize = 1_000;
/// The most photos in one claim.
const MAX_PHOTOS: usize = 100;

pub(super) fn validate_request(request: &DecisionRequest) -> Result<(), FieldError> {
    id("claim_id", &request.claim_id)?;
    check_shop_id("shop_id", &request.shop_id)?;
    if request.revision == 0 {
        return Err(FieldError::new("revision", "must be 1 or more"));
    }
    if request.opened_at > request.now {
        return Err(FieldError::new("opened_at", "is later than `now`"));
    }
    if let Some(subkind) = request.subkind
        && subkind.kind() != request.kind
    {
        return Err(FieldError::new(
            "subkind",
            format!("does not fit kind `{}`", kind_name(request.kind)),
        ));
    }

    let order = &request.order;
    id("order.order_id", &order.order_id)?;
    currency("order.currency", &order.currency)?;
    amount("order.total", order.total)?;
    if let Some(delivered_at) = order.delivered_at
        && delivered_at < order.placed_at
    {
        return Err(FieldError::new(
            "order.delivered_at",
            "is earlier than `order.placed_at`",
        ));
    }

    if request.items.is_empty() {
        return Err(FieldError::new("items", "must list at least one item"));
    }
    if request.items.len() > MAX_ITEMS {
        return Err(FieldError::new(
            "items",
            format!("lists more than {MAX_ITEMS} items"),
        ));
    }
    for (index, item) in request.items.iter().enumerate() {
        let at = |field: &str| format!("items[{index}].{field}");
        id(&at("sku"), &item.sku)?;
        text(&at("title"), &item.title)?;
        text(&at("category"), &item.category)?;
        amount(&at("unit_price"), item.unit_price)?;
        if let Some(price) = item.component_price {
            amount(&at("component_price"), price)?;
        }
        if item.quantity_ordered == 0 {
            return Err(FieldError::new(at("quantity_ordered"), "must be 1 or more"));
        }
        if item.quantity_affected > item.quantity_ordered {
            return Err(FieldError::new(
                at("quantity_affected"),
                format!(
                    "{} is more than quantity_ordered {}",
                    item.quantity_affected, item.quantity_ordered
                ),
            ));
        }
    }

    id("customer.customer_id", &request.customer.customer_id)?;

    let photos = &request.evidence.photos;
    if photos.len() > MAX_PHOTOS {
        return Err(FieldError::new(
            "evidence.photos",
            format!("lists more than {MAX_PHOTOS} photos"),
        ));
    }
    for (index, photo) in photos.iter().enumerate() {
        let is_sha256 = photo.sha256.len() == 64
            && photo
                .sha256
                .bytes()
                .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte));
        if !is_sha256 {
            return Err(FieldError::new(
                format!("evidence.photos[{index}].sha256"),
                "must be 64 lower-case hex digits",
            ));
        }
    }
    if let Some(cost) = request.return_shipment.shipping_cost {
        amount("return_shipment.shipping_cost", cost)?;
    }
    Ok(())
}

/// An id (claim, shop, order, customer, sku, decision) wherever it enters: in a body, a
/// path or a token's scope. Not blank, at most 128 characters, no control characters.
pub fn check_id(field: &str, value: &str) -> Result<(), FieldError> {
    id(field, value)
}

/// A shop's id: an id, and never `*`, which stands for every shop in a module's scope.
pub fn check_shop_id(field: &str, value: &str) -> Result<(), FieldError> {
    id(field, value)?;
    if value == ALL_SHOPS {
        return Err(FieldError::new(
            field,
            "`*` is not a shop id (it stands for every shop)",
        ));
    }
    Ok(())
}

/// What a module's scope says for "every shop".
const ALL_SHOPS: &str = "*";

fn id(field: &str, value: &str) -> Result<(), FieldError> {
    if value.trim().is_empty() {
        return Err(FieldError::new(field, "must not be empty"));
    }
    if value.chars().count() > MAX_ID_LEN || value.chars().any(char::is_control) {
        return Err(FieldError::new(
            field,
            format!("must be at most {MAX_ID_LEN} characters of printable text"),
        ));
    }
    Ok(())
}

fn text(field: &str, value: &str) -> Result<(), FieldError> {
    if value.chars().count() > MAX_TEXT_LEN {
        return Err(FieldError::new(
            field,
            format!("must be at most {MAX_TEXT_LEN} characters"),
        ));
    }
    Ok(())
}

fn amount(field: &str, value: i64) -> Result<(), FieldError> {
    if value < 0 {
        return Err(FieldError::new(
            field,
            format!("{value} is negative; amounts are minor units, 0 or more"),
        ));
    }
    if value > MAX_AMOUNT {
        return Err(FieldError::new(
            field,
            format!("{value} is more than the largest amount accepted, {MAX_AMOUNT}"),
        ));
    }
    Ok(())
}

fn currency(field: &str, value: &str) -> Result<(), FieldError> {
    if value.len() != 3 || !value.bytes().all(|byte| byte.is_ascii_uppercase()) {
        return Err(FieldError::new(
            field,
            format!("`{value}` is not an ISO 4217 code like RUB"),
        ));
    }
    Ok(())
}

fn kind_name(kind: ClaimKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|value| value.as_str().map(str::to_owned))
        .unwrap_or_default()
}
