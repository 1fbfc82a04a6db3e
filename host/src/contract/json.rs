//! Strict JSON bodies: one parser for every body the API, the CLI and the contract read.
//! A body meant as an object must be one, and so must every struct inside it (serde
//! would read a struct from an array, by position); nothing may follow it; every error
//! names the field's full path.

use serde::de::DeserializeOwned;

use super::FieldError;
use super::objects_only::ObjectsOnly;

/// Parses `body` as a `T` that is a JSON object: an array, a string or a number in its
/// place is refused, naming the body.
pub fn parse_object<T: DeserializeOwned>(body: &[u8]) -> Result<T, FieldError> {
    match body.iter().find(|byte| !byte.is_ascii_whitespace()) {
        Some(b'{') => parse_json(body),
        None => Err(FieldError::new(
            "",
            "the body is empty; expected a JSON object",
        )),
        Some(_) => match serde_json::from_slice::<serde_json::Value>(body) {
            Ok(value) => Err(FieldError::new(
                "",
                format!(
                    "invalid type: {}, expected the body as a JSON object",
                    json_type(&value)
                ),
            )),
            Err(error) => Err(field_error(String::new(), error)),
        },
    }
}

/// Parses `body` as any JSON value `T` (settings are checked by their module, which
/// names what is wrong with them).
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, FieldError> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value: T = serde_path_to_error::deserialize(ObjectsOnly(&mut deserializer))
        .map_err(|error| field_error(error.path().to_string(), error.into_inner()))?;
    deserializer.end().map_err(|error| {
        FieldError::new("", format!("trailing data after the JSON body: {error}"))
    })?;
    Ok(value)
}

/// The JSON name of `value`'s type, as serde's messages say it.
fn json_type(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "boolean",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "array",
        serde_json::Value::Object(_) => "object",
    }
}

/// serde names an unknown or missing field in its message: make sure the path ends with
/// it, so the caller always gets the field's full name.
fn field_error(path: String, error: serde_json::Error) -> FieldError {
    let message = strip_position(&error.to_string());
    // serde_path_to_error shows a key it never read (the body ended or broke before it)
    // as `?`, and the body itself as `.`: neither names a field, so blame the parent.
    let known = path.trim_end_matches('?').trim_end_matches('.');
    let parent = known.to_owned();
    let named = quoted_after(&message, "unknown field `")
        .or_else(|| quoted_after(&message, "missing field `"));
    match named {
        Some(name) => {
            // serde_path_to_error puts an unknown key in the path itself, a missing one not.
            let field = if parent.is_empty() {
                name.to_owned()
            } else if parent == name || parent.ends_with(&format!(".{name}")) {
                parent
            } else {
                format!("{parent}.{name}")
            };
            let message = if message.starts_with("unknown field") {
                format!("unknown field `{name}`")
            } else {
                format!("missing field `{name}`")
            };
            FieldError::new(field, message)
        }
        None if error.is_syntax() || error.is_eof() => {
            FieldError::new(parent, format!("the body is not valid JSON: {message}"))
        }
        None => FieldError::new(parent, message),
    }
}

fn quoted_after<'a>(message: &'a str, prefix: &str) -> Option<&'a str> {
    message.strip_prefix(prefix)?.split('`').next()
}

fn strip_position(text: &str) -> String {
    match text.find(" at line ") {
        Some(at) => text[..at].to_owned(),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Pair {
        first: u32,
        second: Option<String>,
    }

    #[test]
    fn an_object_is_read() {
        let pair: Pair =
            parse_object(br#" {"first": 1, "second": "x"} "#).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(pair.first, 1);
    }

    #[test]
    fn anything_but_an_object_is_refused_naming_the_body() {
        for (body, shown) in [
            (&b"[]"[..], "array"),
            (b"[5, 6]", "array"),
            (b"\"a\"", "string"),
            (b"7", "number"),
            (b"null", "null"),
        ] {
            let error = parse_object::<Pair>(body)
                .err()
                .unwrap_or_else(|| panic!("{body:?} accepted"));
            assert_eq!(error.field, "");
            assert!(error.message.contains(shown), "{error}");
        }
        let empty = parse_object::<Pair>(b"  ").err().map(|error| error.message);
        assert_eq!(
            empty.as_deref(),
            Some("the body is empty; expected a JSON object")
        );
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Outer {
        pair: Pair,
        pairs: Vec<Pair>,
        maybe: Option<Pair>,
    }

    #[test]
    fn a_struct_inside_is_read_from_an_object_only() {
        let good = br#"{"pair": {"first": 1}, "pairs": [{"first": 2}], "maybe": null}"#;
        assert!(parse_object::<Outer>(good).is_ok());
        for (body, field) in [
            (
                &br#"{"pair": [1, "x"], "pairs": [], "maybe": null}"#[..],
                "pair",
            ),
            (
                br#"{"pair": {"first": 1}, "pairs": [[2, null]], "maybe": null}"#,
                "pairs[0]",
            ),
            (
                br#"{"pair": {"first": 1}, "pairs": [], "maybe": [3, null]}"#,
                "maybe",
            ),
        ] {
            let error = parse_object::<Outer>(body)
                .err()
                .unwrap_or_else(|| panic!("accepted"));
            assert_eq!(error.field, field, "{error}");
            assert!(error.message.contains("expected struct Pair"), "{error}");
        }
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "snake_case")]
    #[allow(dead_code)]
    enum Shape {
        Point,
        Box { width: u32, height: u32 },
    }

    #[test]
    fn a_struct_variant_is_read_from_an_object_only() {
        let good: Vec<Shape> = parse_json(br#"["point", {"box": {"width": 2, "height": 3.0}}]"#)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(good.len(), 2);
        let error = parse_json::<Vec<Shape>>(br#"[{"box": [2, 3]}]"#)
            .err()
            .unwrap_or_else(|| panic!("a struct variant read from an array"));
        assert_eq!(error.field, "[0].box", "{error}");
        assert!(error.message.contains("invalid type: sequence"), "{error}");
    }

    #[test]
    fn errors_name_the_field() {
        let cases: [(&[u8], &str, &str); 5] = [
            (
                br#"{"first": 1, "third": 2}"#,
                "third",
                "unknown field `third`",
            ),
            (br#"{"second": "x"}"#, "first", "missing field `first`"),
            (br#"{"first": -1}"#, "first", "invalid value"),
            (br#"{"first": 1} {}"#, "", "trailing data"),
            (br#"{"first": 1"#, "", "not valid JSON"),
        ];
        for (body, field, message) in cases {
            let error = parse_object::<Pair>(body)
                .err()
                .unwrap_or_else(|| panic!("accepted"));
            assert_eq!(error.field, field, "{error}");
            assert!(error.message.contains(message), "{error}");
        }
    }
}
