//! Rejections, table-driven: each bad input next to the field it must be blamed on.

use serde_json::{Value, json};

use super::*;

fn valid() -> Value {
    json!({
        "claim_id": "c-1001", "revision": 1, "shop_id": "shop-42",
        "now": "2026-11-20T10:00:00Z", "opened_at": "2026-11-20T09:55:00Z",
        "kind": "damaged", "subkind": null, "desired_outcome": "promo_code",
        "order": {"order_id": "o-77", "currency": "RUB", "total": 459000,
                  "placed_at": "2026-11-15T12:00:00Z", "delivered_at": "2026-11-19T18:00:00Z",
                  "fulfilment": "3p", "courier": "platform"},
        "items": [{"sku": "sh-1", "title": "Shampoo 400 ml", "unit_price": 35000,
                   "quantity_ordered": 3, "quantity_affected": 1, "category": "beauty"}],
        "customer": {"customer_id": "u-9", "account_created_at": "2024-02-01T00:00:00Z"},
        "evidence": {"photos": [{"sha256": "9f2c000000000000000000000000000000000000000000000000000000000000", "shows_labels": true}],
                     "damage_confirmed": true, "documents_match_order": null, "used_signs": []},
        "confirmations": {"warehouse": null, "delivery_service": null, "category_manager": null,
                          "routing_team": null, "courier": null},
        "return_shipment": {"received_at": null, "shipping_cost": null},
        "customer_reply": {"keeps_item": null, "insists": null, "accepts_sorry_coupon": null, "will_return": null},
        "last_seller_reply_at": null, "last_customer_reply_at": null
    })
}

fn parse(value: &Value) -> Result<DecisionRequest, FieldError> {
    parse_request(&serde_json::to_vec(value).unwrap_or_default())
}

/// Sets `path` (dot-separated, numbers index arrays) to `to`.
fn set(mut value: Value, path: &str, to: Value) -> Value {
    let mut at = &mut value;
    let parts: Vec<&str> = path.split('.').collect();
    for (index, part) in parts.iter().enumerate() {
        let last = index + 1 == parts.len();
        at = match part.parse::<usize>() {
            Ok(position) => &mut at[position],
            Err(_) if last => {
                at[*part] = to;
                return value;
            }
            Err(_) => &mut at[*part],
        };
    }
    value
}

fn remove(mut value: Value, path: &str) -> Value {
    let (parent, key) = path.rsplit_once('.').unwrap_or(("", path));
    let target = if parent.is_empty() {
        Some(&mut value)
    } else {
        parent
            .split('.')
            .try_fold(&mut value, |at, part| match part.parse::<usize>() {
                Ok(position) => at.get_mut(position),
                Err(_) => at.get_mut(part),
            })
    };
    if let Some(Value::Object(map)) = target {
        map.remove(key);
    }
    value
}

#[test]
fn the_contract_example_parses() {
    let request = parse(&valid()).unwrap();
    assert_eq!(request.claim_id, "c-1001");
    assert_eq!(request.order.fulfilment, Fulfilment::ThirdParty);
    assert_eq!(request.items[0].unit_price, 35_000);
    assert_eq!(request.now.unix_millis(), 1_795_168_800_000);
}

#[test]
fn optional_parts_may_be_absent_or_null() {
    let mut minimal = valid();
    for key in [
        "subkind",
        "desired_outcome",
        "evidence",
        "confirmations",
        "return_shipment",
        "customer_reply",
        "last_seller_reply_at",
        "last_customer_reply_at",
    ] {
        minimal = remove(minimal, key);
    }
    let request = parse(&minimal).unwrap();
    assert!(request.evidence.photos.is_empty());
    let nulls = set(
        set(valid(), "evidence", Value::Null),
        "customer_reply",
        Value::Null,
    );
    assert!(parse(&nulls).is_ok());
}

#[test]
fn each_bad_input_names_its_field() {
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "unknown top-level field",
            set(valid(), "claim_idd", json!("x")),
            "claim_idd",
        ),
        (
            "unknown nested field",
            set(valid(), "items.0.unit_prise", json!(1)),
            "items[0].unit_prise",
        ),
        (
            "unknown order field",
            set(valid(), "order.totl", json!(1)),
            "order.totl",
        ),
        ("missing claim_id", remove(valid(), "claim_id"), "claim_id"),
        (
            "missing order total",
            remove(valid(), "order.total"),
            "order.total",
        ),
        (
            "missing item sku",
            remove(valid(), "items.0.sku"),
            "items[0].sku",
        ),
        ("wrong kind", set(valid(), "kind", json!("broken")), "kind"),
        (
            "wrong subkind",
            set(valid(), "subkind", json!("receipt")),
            "subkind",
        ),
        (
            "wrong fulfilment",
            set(valid(), "order.fulfilment", json!("2p")),
            "order.fulfilment",
        ),
        (
            "wrong used sign",
            set(valid(), "evidence.used_signs", json!(["scratched"])),
            "evidence.used_signs[0]",
        ),
        (
            "wrong confirmation",
            set(valid(), "confirmations.courier", json!("maybe")),
            "confirmations.courier",
        ),
        (
            "float amount",
            set(valid(), "items.0.unit_price", json!(350.5)),
            "items[0].unit_price",
        ),
        (
            "string amount",
            set(valid(), "order.total", json!("459000")),
            "order.total",
        ),
        (
            "negative unit price",
            set(valid(), "items.0.unit_price", json!(-1)),
            "items[0].unit_price",
        ),
        (
            "negative total",
            set(valid(), "order.total", json!(-459000)),
            "order.total",
        ),
        (
            "negative shipping",
            set(valid(), "return_shipment.shipping_cost", json!(-5)),
            "return_shipment.shipping_cost",
        ),
        (
            "huge amount",
            set(valid(), "order.total", json!(i64::MAX)),
            "order.total",
        ),
        (
            "negative quantity",
            set(valid(), "items.0.quantity_ordered", json!(-3)),
            "items[0].quantity_ordered",
        ),
        (
            "affected above ordered",
            set(valid(), "items.0.quantity_affected", json!(4)),
            "items[0].quantity_affected",
        ),
        (
            "zero ordered",
            set(
                set(valid(), "items.0.quantity_ordered", json!(0)),
                "items.0.quantity_affected",
                json!(0),
            ),
            "items[0].quantity_ordered",
        ),
        ("no items", set(valid(), "items", json!([])), "items"),
        (
            "bad currency",
            set(valid(), "order.currency", json!("rub")),
            "order.currency",
        ),
        ("bad time", set(valid(), "now", json!("yesterday")), "now"),
        (
            "opened after now",
            set(valid(), "opened_at", json!("2026-11-21T00:00:00Z")),
            "opened_at",
        ),
        (
            "delivered before placed",
            set(valid(), "order.delivered_at", json!("2026-11-01T00:00:00Z")),
            "order.delivered_at",
        ),
        (
            "zero revision",
            set(valid(), "revision", json!(0)),
            "revision",
        ),
        (
            "empty claim id",
            set(valid(), "claim_id", json!("  ")),
            "claim_id",
        ),
        (
            "bad photo hash",
            set(valid(), "evidence.photos.0.sha256", json!("9f2c...")),
            "evidence.photos[0].sha256",
        ),
        (
            "null required",
            set(valid(), "customer", Value::Null),
            "customer",
        ),
    ];
    for (what, body, field) in cases {
        let error = parse(&body).expect_err(what);
        assert_eq!(error.field, field, "{what}: {error}");
        assert!(!error.message.is_empty(), "{what}");
    }
}

#[test]
fn bodies_that_are_not_json_objects_are_refused_without_panic() {
    for body in [
        &b""[..],
        b"{",
        b"[]",
        b"null",
        b"\xff\xfe",
        b"{\"claim_id\": \"c\"} trailing",
        b"{\"claim_id\": 1e999}",
    ] {
        assert!(
            parse_request(body).is_err(),
            "{:?}",
            String::from_utf8_lossy(body)
        );
    }
}

#[test]
fn a_body_cut_short_blames_the_enclosing_field_never_an_unread_key() {
    for (body, field) in [
        (&b"{\"claim_id\": \"c\","[..], ""),
        (b"{\"order\": {\"order_id\": \"o\",", "order"),
        (b"{", ""),
    ] {
        let error = parse_request(body).expect_err("cut short");
        assert_eq!(error.field, field, "{error}");
        assert!(error.message.contains("not valid JSON"), "{error}");
    }
}

#[test]
fn a_positional_array_is_not_a_request() {
    // The fields in declaration order: serde would read this as a request.
    let example = valid();
    let mut values: Vec<Value> = [
        "claim_id",
        "revision",
        "shop_id",
        "now",
        "opened_at",
        "kind",
        "subkind",
        "desired_outcome",
        "order",
        "items",
        "customer",
    ]
    .iter()
    .map(|key| example[*key].clone())
    .collect();
    values.push(example["evidence"].clone());
    for body in [Value::Array(values), json!([1, 2, 3])] {
        let error = parse(&body).expect_err("an array");
        assert_eq!(error.field, "", "{error}");
    }
}

/// JSON Schema calls `683.0` an integer (a zero fractional part), so a whole-number float
/// is read where an integer is asked for; a fraction, or a number the field's type cannot
/// hold, is still refused, naming the field.
#[test]
fn a_whole_number_float_is_an_integer() {
    let body = set(
        set(
            set(
                set(valid(), "items.0.unit_price", json!(35000.0)),
                "items.0.quantity_ordered",
                json!(3.0),
            ),
            "order.total",
            json!(4.59e5),
        ),
        "revision",
        json!(2.0),
    );
    let request = parse(&body).unwrap();
    assert_eq!(request.items[0].unit_price, 35_000);
    assert_eq!(request.items[0].quantity_ordered, 3);
    assert_eq!(request.order.total, 459_000);
    assert_eq!(request.revision, 2);
    let zero = parse(&set(valid(), "return_shipment.shipping_cost", json!(-0.0))).unwrap();
    assert_eq!(zero.return_shipment.shipping_cost, Some(0));

    let cases: Vec<(&str, Value, &str, &str)> = vec![
        (
            "a fraction",
            set(valid(), "items.0.unit_price", json!(350.5)),
            "items[0].unit_price",
            "floating point `350.5`",
        ),
        (
            "a negative whole float",
            set(valid(), "order.total", json!(-1.0)),
            "order.total",
            "negative",
        ),
        (
            "over u32",
            set(valid(), "revision", json!(4_294_967_296.0)),
            "revision",
            "4294967296",
        ),
        (
            "negative for u32",
            set(valid(), "items.0.quantity_ordered", json!(-3.0)),
            "items[0].quantity_ordered",
            "-3",
        ),
        (
            "over i64",
            set(valid(), "order.total", json!(1e30)),
            "order.total",
            "floating point",
        ),
        (
            "a tiny fraction",
            set(valid(), "items.0.quantity_affected", json!(1.000_000_1)),
            "items[0].quantity_affected",
            "floating point",
        ),
    ];
    for (what, body, field, message) in cases {
        let error = parse(&body).expect_err(what);
        assert_eq!(error.field, field, "{what}: {error}");
        assert!(error.message.contains(message), "{what}: {error}");
    }
}

/// Only integers are read from whole-number floats: a float field and any JSON value
/// (settings) keep the number as sent.
#[test]
fn a_whole_number_float_stays_a_float_where_no_integer_is_asked_for() {
    let value: Value = parse_json(br#"{"a": 683.0, "b": [2.0], "c": 7}"#).unwrap();
    assert!(value["a"].is_f64(), "{value}");
    assert!(value["b"][0].is_f64(), "{value}");
    assert!(value["c"].is_u64(), "{value}");
    let float: Option<f64> = parse_json(b"683.0").unwrap();
    assert_eq!(float, Some(683.0));
    let map: std::collections::BTreeMap<String, i64> =
        parse_object(br#"{"RUB": 601877.0, "USD": -5.0}"#).unwrap();
    assert_eq!(map["RUB"], 601_877);
    assert_eq!(map["USD"], -5);
    let error = parse_object::<std::collections::BTreeMap<String, i64>>(br#"{"RUB": 0.5}"#)
        .expect_err("a fraction");
    assert_eq!(error.field, "RUB", "{error}");
}
