//! Signed modules: an operator configures the ed25519 public keys it trusts (`serve
//! --trusted-key FILE`, PEM as `openssl pkey -pubout` writes it); from then on every
//! upload must carry a signature by one of them over the module's digest (its text,
//! `sha256:<hex>`), in the `Arbiter-Signature` header as `ed25519:<128 hex digits>`.
//!
//! The signature is checked against every trusted key, never against a key the
//! request names: nothing a request carries can choose, add or skip a key (a bypass
//! keyed on the request's own key id is how a policy engine once shipped a signature
//! advisory). Sellers sign with `arbiter module sign` or `arbiter module push --key`.

use std::path::Path;

use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};

use crate::engine::ModuleDigest;

/// The header an upload's signature travels in.
pub const SIGNATURE_HEADER: &str = "arbiter-signature";

/// What a signature's text starts with.
const SCHEME: &str = "ed25519:";

/// A key file that could not be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("reading {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is not an ed25519 {kind} key in PEM ({detail})")]
    Format {
        path: String,
        kind: &'static str,
        detail: String,
    },
    #[error("making a key: {0}")]
    Random(String),
}

/// Why an upload's signature is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureRefused {
    #[error(
        "this server accepts signed modules only: sign the module's digest with a trusted key (`arbiter module sign`) and send it in the Arbiter-Signature header"
    )]
    Missing,
    #[error("the Arbiter-Signature header is not `ed25519:` and 128 hex digits")]
    Malformed,
    #[error("the signature is not by a key this server trusts, or not over these bytes")]
    NotTrusted,
}

/// The keys uploads must be signed by; none: signatures are not asked for.
#[derive(Debug, Clone, Default)]
pub struct TrustedKeys {
    keys: Vec<VerifyingKey>,
}

impl TrustedKeys {
    /// The public keys in `paths`, one PEM file each.
    pub fn load(paths: &[impl AsRef<Path>]) -> Result<Self, KeyError> {
        let keys = paths
            .iter()
            .map(|path| {
                let path = path.as_ref();
                VerifyingKey::from_public_key_pem(&read(path)?).map_err(|error| KeyError::Format {
                    path: path.display().to_string(),
                    kind: "public",
                    detail: error.to_string(),
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { keys })
    }

    pub fn from_keys(keys: Vec<VerifyingKey>) -> Self {
        Self { keys }
    }

    /// Whether uploads must be signed.
    pub fn required(&self) -> bool {
        !self.keys.is_empty()
    }

    /// Whether `signature` (the header's text, if sent) is a trusted key's over
    /// `digest`; always fine while no key is configured.
    pub fn check(
        &self,
        digest: &ModuleDigest,
        signature: Option<&str>,
    ) -> Result<(), SignatureRefused> {
        if !self.required() {
            return Ok(());
        }
        let signature = parse_signature(signature.ok_or(SignatureRefused::Missing)?)?;
        let message = digest.as_str().as_bytes();
        self.keys
            .iter()
            .any(|key| key.verify(message, &signature).is_ok())
            .then_some(())
            .ok_or(SignatureRefused::NotTrusted)
    }
}

fn parse_signature(text: &str) -> Result<Signature, SignatureRefused> {
    let hex = text
        .trim()
        .strip_prefix(SCHEME)
        .ok_or(SignatureRefused::Malformed)?;
    let bytes = decode_hex(hex).ok_or(SignatureRefused::Malformed)?;
    let bytes: [u8; 64] = bytes.try_into().map_err(|_| SignatureRefused::Malformed)?;
    Ok(Signature::from_bytes(&bytes))
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(text.get(at..at + 2)?, 16).ok())
        .collect()
}

fn read(path: &Path) -> Result<String, KeyError> {
    std::fs::read_to_string(path).map_err(|source| KeyError::Read {
        path: path.display().to_string(),
        source,
    })
}

/// The signing key in `path` (PKCS#8 PEM, as `openssl genpkey -algorithm ed25519` or
/// `arbiter module keygen` writes it).
pub fn load_signing_key(path: &Path) -> Result<SigningKey, KeyError> {
    SigningKey::from_pkcs8_pem(&read(path)?).map_err(|error| KeyError::Format {
        path: path.display().to_string(),
        kind: "private",
        detail: error.to_string(),
    })
}

/// The `Arbiter-Signature` text of `key`'s signature over `digest`.
pub fn sign(key: &SigningKey, digest: &ModuleDigest) -> String {
    let signature = key.sign(digest.as_str().as_bytes()).to_bytes();
    let hex: String = signature.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("{SCHEME}{hex}")
}

/// A new key pair as PEM: the private key (PKCS#8) and the public key (SPKI).
pub fn generate() -> Result<(String, String), KeyError> {
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).map_err(|error| KeyError::Random(error.to_string()))?;
    let key = SigningKey::from_bytes(&secret);
    let private = key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|error| KeyError::Random(error.to_string()))?;
    let public = key
        .verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .map_err(|error| KeyError::Random(error.to_string()))?;
    Ok((private.to_string(), public))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    #[test]
    fn a_trusted_signature_over_the_digest_passes_and_nothing_else_does() {
        let digest = ModuleDigest::of(b"module bytes");
        let trusted = TrustedKeys::from_keys(vec![key(1).verifying_key(), key(2).verifying_key()]);
        assert_eq!(
            trusted.check(&digest, Some(&sign(&key(2), &digest))),
            Ok(())
        );
        assert_eq!(trusted.check(&digest, None), Err(SignatureRefused::Missing));
        assert_eq!(
            trusted.check(&digest, Some(&sign(&key(3), &digest))),
            Err(SignatureRefused::NotTrusted)
        );
        let other = ModuleDigest::of(b"tampered bytes");
        assert_eq!(
            trusted.check(&other, Some(&sign(&key(1), &digest))),
            Err(SignatureRefused::NotTrusted)
        );
        for bad in ["", "ed25519:zz", "rsa:00", "ed25519:0011"] {
            assert_eq!(
                trusted.check(&digest, Some(bad)),
                Err(SignatureRefused::Malformed),
                "{bad}"
            );
        }
    }

    #[test]
    fn without_keys_nothing_is_asked() {
        let digest = ModuleDigest::of(b"module bytes");
        assert_eq!(TrustedKeys::default().check(&digest, None), Ok(()));
    }

    #[test]
    fn generated_keys_load_back_from_pem() -> Result<(), Box<dyn std::error::Error>> {
        let (private, public) = generate()?;
        let dir = tempfile::tempdir()?;
        let (private_path, public_path) = (dir.path().join("k"), dir.path().join("k.pub"));
        std::fs::write(&private_path, private)?;
        std::fs::write(&public_path, public)?;
        let signing = load_signing_key(&private_path)?;
        let trusted = TrustedKeys::load(&[&public_path])?;
        let digest = ModuleDigest::of(b"module bytes");
        assert_eq!(
            trusted.check(&digest, Some(&sign(&signing, &digest))),
            Ok(())
        );
        assert!(matches!(
            TrustedKeys::load(&[&private_path]),
            Err(KeyError::Format { .. })
        ));
        Ok(())
    }
}
