//! Cursor paging of decisions, shared by the routes that list them: a cursor is
//! `<millis>.<decision id>` of the last decision of a page (opaque to callers), and a
//! page is read one decision longer than asked, to know whether another follows.

use super::ApiError;
use crate::ledger::DecisionCursor;

/// A page's cursor, as the description shows it: what every cursor this API gives
/// looks like (its millis fit an i64), and nothing more is promised.
#[derive(Debug)]
pub(super) struct Cursor;

impl utoipa::PartialSchema for Cursor {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some(r"^-?[0-9]{1,18}\..*$"))
            .description(Some("Opaque: the cursor a page gave, as it gave it."))
            .into()
    }
}

impl utoipa::ToSchema for Cursor {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("Cursor")
    }
}

/// The cursor after the decision made at `decided_at_ms` with `decision_id`.
pub(super) fn cursor_text(decided_at_ms: i64, decision_id: &str) -> String {
    format!("{decided_at_ms}.{decision_id}")
}

/// A cursor this API gave, or a 400 naming `cursor`.
pub(super) fn parse_cursor(text: &str) -> Result<DecisionCursor, ApiError> {
    let not_ours = || ApiError::bad_request("cursor", "not a cursor this API gave");
    let (millis, decision_id) = text.split_once('.').ok_or_else(not_ours)?;
    Ok(DecisionCursor {
        decided_at_ms: millis.parse().map_err(|_| not_ours())?,
        decision_id: decision_id.to_owned(),
    })
}

/// Cuts `read` (one more than `limit` asked of the ledger) to the page, and gives the
/// next page's cursor (`cursor_of` its last item) when more followed.
pub(super) fn cut_page<T>(
    read: &mut Vec<T>,
    limit: u32,
    cursor_of: impl Fn(&T) -> String,
) -> Option<String> {
    let page = usize::try_from(limit).unwrap_or(usize::MAX);
    if read.len() <= page {
        return None;
    }
    read.truncate(page);
    read.last().map(cursor_of)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_read_one_longer_says_where_the_next_starts() {
        let mut read = vec![1, 2, 3];
        assert_eq!(cut_page(&mut read, 2, |n| n.to_string()), Some("2".into()));
        assert_eq!(read, [1, 2]);
        let mut last = vec![1, 2];
        assert_eq!(cut_page(&mut last, 2, |n| n.to_string()), None);
        assert_eq!(last, [1, 2]);
    }

    #[test]
    fn cursors_round_trip_and_foreign_ones_are_refused() {
        let cursor = parse_cursor(&cursor_text(1_700_000_000_123, "d-01ABC")).ok();
        assert_eq!(
            cursor,
            Some(DecisionCursor {
                decided_at_ms: 1_700_000_000_123,
                decision_id: "d-01ABC".into()
            })
        );
        assert!(parse_cursor("nonsense").is_err());
        assert!(parse_cursor("x.d-1").is_err());
    }
}
