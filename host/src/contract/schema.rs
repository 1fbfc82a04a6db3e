//! The JSON Schema of the contract's scalar shapes (ids, amounts, currencies, digests,
//! photo hashes), named once and referenced by every field of that shape in the
//! OpenAPI description. Each says what [`super::validate`] checks, so the description
//! and the parser agree.

use std::borrow::Cow;

use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::openapi::{KnownFormat, RefOr};
use utoipa::{PartialSchema, ToSchema};

use super::limits::{MAX_AMOUNT, MAX_ID_LEN};

/// Declares a schema-only type: `$name` appears in the description as `$schema_name`.
macro_rules! scalar_schema {
    ($(#[$doc:meta])* $name:ident, $schema_name:literal, $build:expr) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name;

        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                let build: fn() -> ObjectBuilder = $build;
                build().into()
            }
        }

        impl ToSchema for $name {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed($schema_name)
            }
        }
    };
}

/// Not blank, no control characters (Unicode `Cc`).
const ID_PATTERN: &str = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$";

scalar_schema!(
    /// An id (claim, shop, order, customer, sku, decision, token).
    Id,
    "Id",
    || {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(Some(1))
            .max_length(Some(MAX_ID_LEN))
            .pattern(Some(ID_PATTERN))
            .description(Some(format!(
                "1 to {MAX_ID_LEN} characters of printable text, not blank."
            )))
    }
);

/// An id that is not `*` (which stands for every shop): one non-blank character other
/// than `*`, or two or more characters with a non-blank one among them.
const SHOP_ID_PATTERN: &str = r"^(?:[^\s\u0000-\u001f\u007f-\u009f*]|[^\u0000-\u001f\u007f-\u009f]+[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*|[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]+)$";

scalar_schema!(
    /// A shop's id: an id, and never `*`.
    ShopIdText,
    "ShopId",
    || {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(Some(1))
            .max_length(Some(MAX_ID_LEN))
            .pattern(Some(SHOP_ID_PATTERN))
            .description(Some(format!(
                "1 to {MAX_ID_LEN} characters of printable text, not blank, and never `*` \
                 (which stands for every shop in a module's scope)."
            )))
    }
);

scalar_schema!(
    /// An amount in minor units.
    Amount,
    "Amount",
    || {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
            .minimum(Some(0))
            .maximum(Some(MAX_AMOUNT))
            .description(Some("Minor units (kopecks for RUB)."))
    }
);

scalar_schema!(
    /// An ISO 4217 currency code.
    Currency,
    "Currency",
    || {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some("^[A-Z]{3}$"))
            .description(Some("ISO 4217."))
            .examples(["RUB"])
    }
);

scalar_schema!(
    /// A module's digest.
    ModuleDigestText,
    "ModuleDigest",
    || {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some("^sha256:[0-9a-f]{64}$"))
            .description(Some("`sha256:` and the module's SHA-256 in lower-case hex."))
    }
);

scalar_schema!(
    /// A photo's SHA-256.
    PhotoHash,
    "PhotoHash",
    || {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some("^[0-9a-f]{64}$"))
            .description(Some("SHA-256 of the photo, 64 lower-case hex digits."))
    }
);

impl PartialSchema for super::Timestamp {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
            .description(Some("RFC 3339, in the years 0000 to 9999 once in UTC."))
            .examples(["2026-11-20T10:00:00Z"])
            .into()
    }
}

impl ToSchema for super::Timestamp {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Timestamp")
    }
}

scalar_schema!(
    /// Money per currency: `{"RUB": 150000}`.
    Money,
    "Money",
    || {
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .property_names(Some(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some("^[A-Z]{3}$")),
            ))
            .additional_properties(Some(Amount::schema()))
            .description(Some("Minor units per ISO 4217 currency."))
    }
);
