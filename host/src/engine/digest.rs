//! A module's identity: `sha256:` and the hex digest of its bytes.

use std::fmt;

/// A module's identity: `sha256:` and the hex digest of its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct ModuleDigest(String);

impl ModuleDigest {
    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        Self(format!("sha256:{}", crate::digest::sha256_hex(bytes)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ModuleDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Text that is not a module digest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a module digest (`sha256:` and 64 lower-case hex digits)")]
pub struct NotADigest(pub String);

impl ModuleDigest {
    /// A digest as written (`sha256:` and 64 lower-case hex digits), from a store or a
    /// request.
    pub fn parse(text: &str) -> Result<Self, NotADigest> {
        let hex = text
            .strip_prefix("sha256:")
            .ok_or_else(|| NotADigest(text.to_owned()))?;
        let well_formed = hex.len() == 64
            && hex
                .bytes()
                .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte));
        if well_formed {
            Ok(Self(text.to_owned()))
        } else {
            Err(NotADigest(text.to_owned()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_digest_reads_back_as_written_and_nothing_else_does() {
        let digest = ModuleDigest::of(b"module");
        assert_eq!(ModuleDigest::parse(digest.as_str()), Ok(digest.clone()));
        for text in [
            "",
            "sha256:",
            "sha1:00",
            &digest.as_str().to_uppercase(),
            &format!("{digest}0"),
            &digest.as_str()[..70],
        ] {
            assert_eq!(
                ModuleDigest::parse(text),
                Err(NotADigest(text.to_owned())),
                "{text}"
            );
        }
    }
}
