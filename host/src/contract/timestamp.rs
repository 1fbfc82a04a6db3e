//! RFC 3339 timestamps: parsed once at the edge, carried as UTC milliseconds inside.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// A point in time from the contract, with the text it was given as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(OffsetDateTime);

impl Timestamp {
    /// Parses RFC 3339 text (`2026-11-20T10:00:00Z`). In UTC it must fall in the years
    /// 0000 to 9999, the years RFC 3339 can write, so every timestamp accepted can be
    /// written back (in the ledger, in an explanation) and read again as the same.
    pub fn parse(text: &str) -> Result<Self, String> {
        let at = OffsetDateTime::parse(text, &Rfc3339)
            .map_err(|_| format!("`{text}` is not an RFC 3339 time like 2026-11-20T10:00:00Z"))?;
        at.checked_to_offset(time::UtcOffset::UTC)
            .and_then(Self::writable)
            .ok_or_else(|| format!("`{text}` is outside the years 0000 to 9999 in UTC"))
    }

    /// The time `millis` milliseconds after the Unix epoch, if it is in the years 0000 to
    /// 9999.
    pub fn from_unix_millis(millis: i64) -> Option<Self> {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000)
            .ok()
            .and_then(Self::writable)
    }

    /// `at` (in UTC), if RFC 3339 can write it.
    fn writable(at: OffsetDateTime) -> Option<Self> {
        (0..=9999).contains(&at.year()).then_some(Self(at))
    }

    /// Milliseconds since the Unix epoch, as the WIT `timestamp`.
    pub fn unix_millis(self) -> i64 {
        i64::try_from(self.0.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.format(&Rfc3339) {
            Ok(text) => f.write_str(&text),
            Err(_) => write!(f, "{}", self.0),
        }
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_converts_to_utc_millis() {
        let at = Timestamp::parse("2026-11-20T10:00:00Z").unwrap();
        assert_eq!(at.unix_millis(), 1_795_168_800_000);
        let offset = Timestamp::parse("2026-11-20T13:00:00.250+03:00").unwrap();
        assert_eq!(offset.unix_millis(), 1_795_168_800_250);
        assert_eq!(at.to_string(), "2026-11-20T10:00:00Z");
        assert_eq!(Timestamp::from_unix_millis(at.unix_millis()), Some(at));
    }

    /// Found by fuzzing (`fuzz/`, target `decision_request`): an offset that moves the
    /// time out of the years RFC 3339 can write panicked (`to_offset`) or wrote a time
    /// that did not read back.
    #[test]
    fn times_outside_the_writable_years_in_utc_are_refused_not_panicked_on() {
        for text in ["9999-12-31T23:59:59-01:00", "0000-01-01T00:00:00+01:00"] {
            let error = Timestamp::parse(text).unwrap_err();
            assert!(error.contains("years 0000 to 9999"), "{error}");
        }
        for text in [
            "9999-12-31T23:59:59Z",
            "0000-01-01T00:00:00Z",
            "0000-01-01T00:00:00-01:00",
        ] {
            let at = Timestamp::parse(text).unwrap();
            assert_eq!(Timestamp::parse(&at.to_string()), Ok(at), "{text}");
        }
        assert_eq!(Timestamp::from_unix_millis(i64::MIN), None);
        assert_eq!(Timestamp::from_unix_millis(253_402_300_800_000), None);
    }

    #[test]
    fn rejects_what_is_not_rfc3339() {
        for text in ["2026-11-20", "yesterday", "2026-11-20 10:00:00", ""] {
            assert!(Timestamp::parse(text).is_err(), "{text}");
        }
    }
}
