//! Scratch PostgreSQL schemas for tests and benchmarks: each user gets an empty schema
//! of its own on one server, so tests run in parallel, and the schema is dropped when
//! the [`ScratchSchema`] is.
//!
//! The server is `ARBITER_TEST_DATABASE_URL` (default: this machine's
//! `postgres://root@127.0.0.1:5432/test`). Where none answers, [`ScratchSchema::create`]
//! says so with `None` and the caller skips, except under CI (`CI` set), where a missing
//! server is an error: CI starts one.

use sqlx::Connection as _;
use sqlx::postgres::PgConnection;

use super::{LedgerError, Storage};

/// The variable naming the PostgreSQL server for tests.
pub const URL_VARIABLE: &str = "ARBITER_TEST_DATABASE_URL";
/// The server tests use when the variable is unset.
pub const DEFAULT_URL: &str = "postgres://root@127.0.0.1:5432/test";

/// An empty schema on the test server; dropped with this value.
#[derive(Debug)]
pub struct ScratchSchema {
    server: String,
    schema: String,
    url: String,
}

impl ScratchSchema {
    /// A new schema, or `None` (with a line on stderr) where no server answers outside
    /// CI.
    pub async fn create() -> Result<Option<Self>, LedgerError> {
        let server = std::env::var(URL_VARIABLE).unwrap_or_else(|_| DEFAULT_URL.to_owned());
        let mut connection = match PgConnection::connect(&server).await {
            Ok(connection) => connection,
            Err(error) if std::env::var_os("CI").is_none() => {
                eprintln!(
                    "skipped: no PostgreSQL at {} ({error}); set {URL_VARIABLE}",
                    Storage::Postgres(server)
                );
                return Ok(None);
            }
            Err(error) => return Err(error.into()),
        };
        let schema = format!("arbiter_test_{}", ulid::Ulid::new()).to_lowercase();
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
            .execute(&mut connection)
            .await?;
        connection.close().await?;
        let separator = if server.contains('?') { '&' } else { '?' };
        // Its connections carry the schema's name, so a test can find (and cut) them.
        let url =
            format!("{server}{separator}options[search_path]={schema}&application_name={schema}");
        Ok(Some(Self {
            server,
            schema,
            url,
        }))
    }

    /// The URL whose connections use this schema.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The schema's name, which is also its connections' `application_name`.
    pub fn name(&self) -> &str {
        &self.schema
    }

    /// Ends every server connection of this schema's users (as a restarted or failed
    /// server would); how many there were.
    pub async fn cut_connections(&self) -> Result<u64, LedgerError> {
        let mut connection = PgConnection::connect(&self.server).await?;
        let cut = sqlx::query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE application_name = $1 AND pid <> pg_backend_pid()",
        )
        .bind(&self.schema)
        .fetch_all(&mut connection)
        .await?;
        connection.close().await?;
        Ok(u64::try_from(cut.len()).unwrap_or(u64::MAX))
    }

    /// The ledger's storage in this schema.
    pub fn storage(&self) -> Storage {
        Storage::Postgres(self.url.clone())
    }
}

impl Drop for ScratchSchema {
    fn drop(&mut self) {
        let (server, schema) = (self.server.clone(), self.schema.clone());
        // Its own thread and runtime: a drop cannot wait on the runtime it may run on.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let mut connection = PgConnection::connect(&server).await?;
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                    "DROP SCHEMA IF EXISTS {schema} CASCADE"
                )))
                .execute(&mut connection)
                .await?;
                connection.close().await?;
                Ok::<_, sqlx::Error>(())
            })?;
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
        })
        .join();
        if let Ok(Err(error)) = dropped {
            eprintln!("could not drop the scratch schema {}: {error}", self.schema);
        }
    }
}
