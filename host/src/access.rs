//! Who is calling: the operator, the marketplace, or a seller bound to one shop; and
//! the bearer tokens that say so. Only a hash of each secret is ever stored.

use std::io::Write as _;
use std::path::Path;

use crate::ledger::{Ledger, LedgerError, TokenRecord};

/// A caller, as its token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// Runs the platform: everything.
    Operator,
    /// Asks for decisions, nothing else.
    Marketplace { token_id: String },
    /// One shop's settings and decisions.
    Seller { token_id: String, shop_id: String },
}

impl Principal {
    /// Who did it, for the ledger (`operator`, `marketplace:t-...`, `seller:t-...`).
    pub fn actor(&self) -> String {
        match self {
            Self::Operator => "operator".to_owned(),
            Self::Marketplace { token_id } => format!("marketplace:{token_id}"),
            Self::Seller { token_id, .. } => format!("seller:{token_id}"),
        }
    }

    /// Whether the caller may read and change `shop_id`'s settings and decisions.
    pub fn may_manage_shop(&self, shop_id: &str) -> bool {
        match self {
            Self::Operator => true,
            Self::Marketplace { .. } => false,
            Self::Seller { shop_id: own, .. } => own == shop_id,
        }
    }
}

/// The kinds of token an operator may issue.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Marketplace,
    Seller,
}

/// A token just issued: the secret is shown this once.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct IssuedToken {
    pub token_id: String,
    pub token: String,
    pub role: Role,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shop_id: Option<String>,
    pub label: String,
}

/// Authenticates bearer secrets and issues tokens.
#[derive(Debug, Clone)]
pub struct Access {
    operator_hash: String,
    ledger: Ledger,
}

impl Access {
    pub fn new(operator_token: &str, ledger: Ledger) -> Self {
        Self {
            operator_hash: hash_secret(operator_token),
            ledger,
        }
    }

    /// The caller a secret belongs to, if any.
    pub async fn authenticate(&self, secret: &str) -> Result<Option<Principal>, LedgerError> {
        let hash = hash_secret(secret);
        if hash == self.operator_hash {
            return Ok(Some(Principal::Operator));
        }
        let Some(token) = self.ledger.token(&hash).await? else {
            return Ok(None);
        };
        Ok(match (token.role.as_str(), token.shop_id) {
            ("marketplace", _) => Some(Principal::Marketplace {
                token_id: token.token_id,
            }),
            ("seller", Some(shop_id)) => Some(Principal::Seller {
                token_id: token.token_id,
                shop_id,
            }),
            _ => None,
        })
    }

    /// Issues a token for `role` (a seller token is bound to `shop_id`).
    pub async fn issue(
        &self,
        role: Role,
        shop_id: Option<String>,
        label: String,
        by: &str,
        at_ms: i64,
    ) -> Result<IssuedToken, LedgerError> {
        let secret = generate_secret()
            .map_err(|error| LedgerError::Corrupt(format!("no randomness: {error}")))?;
        let token_id = format!("t-{}", ulid::Ulid::new());
        let record = TokenRecord {
            token_id: token_id.clone(),
            role: match role {
                Role::Marketplace => "marketplace",
                Role::Seller => "seller",
            }
            .to_owned(),
            shop_id: shop_id.clone(),
            label: label.clone(),
        };
        self.ledger
            .create_token(&hash_secret(&secret), &record, by, at_ms)
            .await?;
        Ok(IssuedToken {
            token_id,
            token: secret,
            role,
            shop_id,
            label,
        })
    }
}

/// A fresh secret: `arb_` and 32 random bytes in hex.
pub fn generate_secret() -> Result<String, getrandom::Error> {
    let mut bytes = [0_u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(format!("arb_{}", crate::digest::hex(&bytes)))
}

fn hash_secret(secret: &str) -> String {
    crate::digest::sha256_hex(secret.as_bytes())
}

/// The operator token kept in `data_dir`: read it, or create it (readable by the owner
/// only) on first start. Returns the token and whether it was just created.
pub fn operator_token_file(data_dir: &Path) -> std::io::Result<(String, bool)> {
    let path = data_dir.join("operator-token");
    match std::fs::read_to_string(&path) {
        Ok(text) if !text.trim().is_empty() => return Ok((text.trim().to_owned(), false)),
        Ok(_) => {}
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => return Err(error),
    }
    let secret = generate_secret().map_err(std::io::Error::other)?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(&path)?;
    file.write_all(secret.as_bytes())?;
    file.sync_all()?;
    Ok((secret, true))
}
