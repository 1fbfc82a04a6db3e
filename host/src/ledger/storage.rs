//! Where the ledger lives: an SQLite file under the data dir, or a PostgreSQL database
//! that several hosts share; and how a pool of connections to it is opened.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Connection as _};

use super::{Dialect, LedgerError};

/// The store a ledger opens.
#[derive(Clone, PartialEq, Eq)]
pub enum Storage {
    /// An SQLite file (created if missing), for one host.
    Sqlite(PathBuf),
    /// A PostgreSQL URL (`postgres://user@host:5432/db`), for one host or several.
    Postgres(String),
}

/// What is wrong with a database URL.
#[derive(Debug, thiserror::Error)]
#[error("database URL: {0}")]
pub struct StorageUrlError(String);

/// The ledger's file in a data dir when no database URL is given.
const SQLITE_FILE: &str = "arbiter.db";

impl Storage {
    /// The store `url` names (`postgres://` or `postgresql://`), or without one the
    /// embedded SQLite file under `data_dir`.
    pub fn choose(url: Option<&str>, data_dir: &Path) -> Result<Self, StorageUrlError> {
        match url.map(str::trim).filter(|url| !url.is_empty()) {
            None => Ok(Self::in_data_dir(data_dir)),
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Ok(Self::Postgres(url.to_owned()))
            }
            Some(url) => Err(StorageUrlError(format!(
                "`{}` is not a PostgreSQL URL (postgres://user@host:5432/database); without \
                 one the ledger is the SQLite file under the data dir",
                redact(url)
            ))),
        }
    }

    /// The embedded SQLite file under `data_dir`, where a host keeps its own ledger.
    pub fn in_data_dir(data_dir: &Path) -> Self {
        Self::Sqlite(data_dir.join(SQLITE_FILE))
    }

    pub fn dialect(&self) -> Dialect {
        match self {
            Self::Sqlite(_) => Dialect::Sqlite,
            Self::Postgres(_) => Dialect::Postgres,
        }
    }

    /// Connects once and hangs up: the store's own error when it cannot be reached.
    pub(super) async fn probe(&self) -> Result<(), LedgerError> {
        if let Self::Postgres(url) = self {
            sqlx::any::install_default_drivers();
            let connection = sqlx::AnyConnection::connect(url)
                .await
                .map_err(|error| LedgerError::Unavailable(std::sync::Arc::new(error)))?;
            connection.close().await?;
        }
        Ok(())
    }

    /// A pool of at most `connections`, each set up for the ledger.
    pub(super) async fn pool(&self, connections: u32) -> Result<AnyPool, LedgerError> {
        sqlx::any::install_default_drivers();
        let options = AnyPoolOptions::new()
            .max_connections(connections)
            .acquire_timeout(Duration::from_secs(10));
        let pool = match self {
            Self::Sqlite(path) => {
                options
                    .after_connect(|connection, _| {
                        Box::pin(async move {
                            // WAL lets reads run beside the writer; FULL makes every
                            // commit durable before it is answered.
                            sqlx::raw_sql(
                                "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;
                                 PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON;",
                            )
                            .execute(connection)
                            .await
                            .map(drop)
                        })
                    })
                    .connect(&sqlite_url(path)?)
                    .await?
            }
            Self::Postgres(url) => options.connect(url).await?,
        };
        Ok(pool)
    }
}

impl fmt::Debug for Storage {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, formatter)
    }
}

/// The store, without any password the URL holds (fit for logs).
impl fmt::Display for Storage {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite(path) => write!(formatter, "sqlite:{}", path.display()),
            Self::Postgres(url) => formatter.write_str(&redact(url)),
        }
    }
}

/// `url` with the password between `:` and `@` of its authority replaced by `***`.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((user_info, host)) => match user_info.split_once(':') {
            Some((user, _password)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// The `sqlite://` URL of `path` (made absolute, percent-encoded), created if missing.
fn sqlite_url(path: &Path) -> Result<String, LedgerError> {
    let path = std::path::absolute(path).map_err(|error| {
        LedgerError::Unavailable(std::sync::Arc::new(std::io::Error::new(
            error.kind(),
            format!("the ledger's path {}: {error}", path.display()),
        )))
    })?;
    let text = path.to_str().ok_or_else(|| {
        LedgerError::Corrupt(format!("the ledger's path {} is not UTF-8", path.display()))
    })?;
    let mut url = String::from("sqlite://");
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"/._-~".contains(&byte) {
            url.push(char::from(byte));
        } else {
            url.push_str(&format!("%{byte:02X}"));
        }
    }
    url.push_str("?mode=rwc");
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_chooses_postgres_and_none_the_data_dir() {
        let dir = Path::new("/var/arbiter");
        assert_eq!(
            Storage::choose(None, dir).ok(),
            Some(Storage::Sqlite(dir.join("arbiter.db")))
        );
        assert_eq!(
            Storage::choose(Some("  "), dir).ok(),
            Some(Storage::Sqlite(dir.join("arbiter.db")))
        );
        assert_eq!(
            Storage::choose(Some("postgres://root@127.0.0.1/test"), dir).ok(),
            Some(Storage::Postgres("postgres://root@127.0.0.1/test".into()))
        );
        let Err(error) = Storage::choose(Some("mysql://root:hunter2@db/x"), dir) else {
            panic!("a MySQL URL was taken");
        };
        let message = error.to_string();
        assert!(message.contains("mysql://root:***@db/x"), "{message}");
        assert!(!message.contains("hunter2"), "{message}");
    }

    #[test]
    fn passwords_stay_out_of_what_is_shown() {
        let storage =
            Storage::Postgres("postgres://app:s3cret@db:5432/ledger?sslmode=require".into());
        assert_eq!(
            storage.to_string(),
            "postgres://app:***@db:5432/ledger?sslmode=require"
        );
        assert_eq!(format!("{storage:?}"), storage.to_string());
        assert_eq!(
            redact("postgres://app@db/ledger"),
            "postgres://app@db/ledger"
        );
    }

    #[test]
    fn odd_characters_in_a_path_are_encoded() -> Result<(), LedgerError> {
        let url = sqlite_url(Path::new("/tmp/a b?#/arbiter.db"))?;
        assert_eq!(url, "sqlite:///tmp/a%20b%3F%23/arbiter.db?mode=rwc");
        Ok(())
    }
}
