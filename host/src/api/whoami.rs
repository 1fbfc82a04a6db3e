//! `GET /v1/whoami`: what the caller's token may do, so a client (the console) shows
//! only what it can use.

use serde_json::{Value, json};

use crate::access::Principal;

pub(super) async fn whoami(principal: Principal) -> axum::Json<Value> {
    let (role, token_id, shop_id) = match &principal {
        Principal::Operator => ("operator", None, None),
        Principal::Marketplace { token_id } => ("marketplace", Some(token_id), None),
        Principal::Seller { token_id, shop_id } => ("seller", Some(token_id), Some(shop_id)),
    };
    axum::Json(json!({"role": role, "token_id": token_id, "shop_id": shop_id}))
}
