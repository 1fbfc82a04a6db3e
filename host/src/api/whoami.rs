//! `GET /v1/whoami`: what the caller's token may do, so a client (the console) shows
//! only what it can use.

use serde::Serialize;
use utoipa::ToSchema;

use crate::access::Principal;

/// The caller, as its token says.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Whoami {
    /// `operator`, `marketplace` or `seller`.
    role: &'static str,
    /// The token's id (null for the operator's secret).
    token_id: Option<String>,
    /// A seller's shop.
    shop_id: Option<String>,
}

/// Who the caller is.
#[utoipa::path(
    get,
    path = "/v1/whoami",
    tag = "platform",
    operation_id = "whoami",
    responses((status = 200, description = "The caller's role and scope.", body = Whoami))
)]
pub(super) async fn whoami(principal: Principal) -> axum::Json<Whoami> {
    let (role, token_id, shop_id) = match principal {
        Principal::Operator => ("operator", None, None),
        Principal::Marketplace { token_id } => ("marketplace", Some(token_id), None),
        Principal::Seller { token_id, shop_id } => ("seller", Some(token_id), Some(shop_id)),
    };
    axum::Json(Whoami {
        role,
        token_id,
        shop_id,
    })
}
