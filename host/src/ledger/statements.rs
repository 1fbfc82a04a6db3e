//! The few statement shapes the decision path runs, over either driver: sqlx for
//! PostgreSQL (async, over the network) and rusqlite for the embedded SQLite (on the
//! store's own threads, see [`super::embedded`]). What a decision reads and writes
//! ([`super::history`], [`super::records`], [`super::group_commit`]) is written once,
//! against [`Statements`], and runs unchanged on both.
//!
//! Parameters are numbered `$1`, `$2`, ... in the SQL text, as everywhere in the ledger;
//! `$N` takes the N-th of `params` whatever the order the text names them in.

use std::future::Future;

use super::LedgerError;
use super::writer::{SQLITE_STORAGE_CODES, is_storage_fault, is_transient};

/// A value bound to a statement's parameter.
#[derive(Debug, Clone, Copy)]
pub(super) enum Param<'a> {
    Int(i64),
    Text(&'a str),
    /// Text or NULL.
    OptionalText(Option<&'a str>),
    /// An integer or NULL.
    OptionalInt(Option<i64>),
}

/// A row being read: its columns by name.
pub(super) trait Columns {
    fn int(&self, column: &str) -> Result<i64, StoreError>;
    fn text(&self, column: &str) -> Result<String, StoreError>;
    /// Text or NULL.
    fn optional_text(&self, column: &str) -> Result<Option<String>, StoreError>;
}

/// What either driver can fail with.
#[derive(Debug, thiserror::Error)]
pub(super) enum StoreError {
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    #[error("stored data is not readable: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// Whether the store, not the statement, failed (see [`is_storage_fault`]).
    pub(super) fn is_storage_fault(&self) -> bool {
        match self {
            Self::Sqlx(error) => is_storage_fault(error),
            Self::Sqlite(error) => {
                sqlite_code(error).is_some_and(|code| SQLITE_STORAGE_CODES.contains(&(code & 0xff)))
            }
            Self::Corrupt(_) => false,
        }
    }

    /// Whether the store rolled the transaction back so another could go on (see
    /// [`is_transient`]); only PostgreSQL does.
    pub(super) fn is_transient(&self) -> bool {
        matches!(self, Self::Sqlx(error) if is_transient(error))
    }
}

/// SQLite's extended result code of a failed call, if it was one.
fn sqlite_code(error: &rusqlite::Error) -> Option<i32> {
    match error {
        rusqlite::Error::SqliteFailure(failure, _) => Some(failure.extended_code),
        _ => None,
    }
}

impl From<StoreError> for LedgerError {
    fn from(error: StoreError) -> Self {
        let fault = error.is_storage_fault();
        match error {
            StoreError::Sqlx(error) => error.into(),
            StoreError::Sqlite(error) if fault => Self::Unavailable(std::sync::Arc::new(error)),
            StoreError::Sqlite(error) => Self::Embedded(error),
            StoreError::Corrupt(what) => Self::Corrupt(what),
        }
    }
}

/// Runs statements on one connection (or one transaction on it).
pub(super) trait Statements: Send {
    /// Runs a statement; the rows it changed.
    fn execute(
        &mut self,
        sql: &'static str,
        params: &[Param<'_>],
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Runs a query and reads each row it returns with `read`.
    fn fetch<T: Send>(
        &mut self,
        sql: &'static str,
        params: &[Param<'_>],
        read: impl FnMut(&dyn Columns) -> Result<T, StoreError> + Send,
    ) -> impl Future<Output = Result<Vec<T>, StoreError>> + Send;

    /// The first row of a query, if any.
    fn fetch_optional<T: Send>(
        &mut self,
        sql: &'static str,
        params: &[Param<'_>],
        read: impl FnMut(&dyn Columns) -> Result<T, StoreError> + Send,
    ) -> impl Future<Output = Result<Option<T>, StoreError>> + Send {
        async move { Ok(self.fetch(sql, params, read).await?.into_iter().next()) }
    }
}

impl Statements for sqlx::AnyConnection {
    async fn execute(
        &mut self,
        sql: &'static str,
        params: &[Param<'_>],
    ) -> Result<u64, StoreError> {
        let done = sqlx_query(sql, params).execute(&mut *self).await?;
        Ok(done.rows_affected())
    }

    async fn fetch<T: Send>(
        &mut self,
        sql: &'static str,
        params: &[Param<'_>],
        mut read: impl FnMut(&dyn Columns) -> Result<T, StoreError> + Send,
    ) -> Result<Vec<T>, StoreError> {
        let rows = sqlx_query(sql, params).fetch_all(&mut *self).await?;
        rows.iter().map(|row| read(row)).collect()
    }
}

fn sqlx_query<'q>(
    sql: &'static str,
    params: &[Param<'q>],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    params
        .iter()
        .fold(sqlx::query(sql), |query, param| match *param {
            Param::Int(value) => query.bind(value),
            Param::Text(value) => query.bind(value),
            Param::OptionalText(value) => query.bind(value),
            Param::OptionalInt(value) => query.bind(value),
        })
}

impl Columns for sqlx::any::AnyRow {
    fn int(&self, column: &str) -> Result<i64, StoreError> {
        Ok(sqlx::Row::try_get(self, column)?)
    }

    fn text(&self, column: &str) -> Result<String, StoreError> {
        Ok(sqlx::Row::try_get(self, column)?)
    }

    fn optional_text(&self, column: &str) -> Result<Option<String>, StoreError> {
        Ok(sqlx::Row::try_get(self, column)?)
    }
}

impl Statements for rusqlite::Connection {
    async fn execute(
        &mut self,
        sql: &'static str,
        params: &[Param<'_>],
    ) -> Result<u64, StoreError> {
        let mut statement = self.prepare_cached(sql)?;
        bind(&mut statement, params)?;
        let changed = statement.raw_execute()?;
        Ok(u64::try_from(changed).unwrap_or(u64::MAX))
    }

    async fn fetch<T: Send>(
        &mut self,
        sql: &'static str,
        params: &[Param<'_>],
        mut read: impl FnMut(&dyn Columns) -> Result<T, StoreError> + Send,
    ) -> Result<Vec<T>, StoreError> {
        let mut statement = self.prepare_cached(sql)?;
        bind(&mut statement, params)?;
        let mut rows = statement.raw_query();
        let mut read_rows = Vec::new();
        while let Some(row) = rows.next()? {
            read_rows.push(read(row)?);
        }
        Ok(read_rows)
    }
}

/// Binds `params` to the `$N` names `statement` uses (a statement need not use all).
fn bind(statement: &mut rusqlite::Statement<'_>, params: &[Param<'_>]) -> rusqlite::Result<()> {
    for (number, param) in (1..).zip(params) {
        let Some(index) = statement.parameter_index(&format!("${number}"))? else {
            continue;
        };
        match *param {
            Param::Int(value) => statement.raw_bind_parameter(index, value)?,
            Param::Text(value) => statement.raw_bind_parameter(index, value)?,
            Param::OptionalText(value) => statement.raw_bind_parameter(index, value)?,
            Param::OptionalInt(value) => statement.raw_bind_parameter(index, value)?,
        }
    }
    Ok(())
}

impl Columns for rusqlite::Row<'_> {
    fn int(&self, column: &str) -> Result<i64, StoreError> {
        Ok(self.get(column)?)
    }

    fn text(&self, column: &str) -> Result<String, StoreError> {
        Ok(self.get(column)?)
    }

    fn optional_text(&self, column: &str) -> Result<Option<String>, StoreError> {
        Ok(self.get(column)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn in_memory() -> rusqlite::Connection {
        rusqlite::Connection::open_in_memory().unwrap()
    }

    #[test]
    fn each_numbered_parameter_takes_its_own_value_in_any_order() {
        let mut connection = in_memory();
        let rows = futures_executor::block_on(connection.fetch(
            "SELECT $3 AS third, $1 AS first, $3 + $1 AS sum",
            &[Param::Int(2), Param::Text("unused"), Param::Int(40)],
            |row| Ok((row.int("third")?, row.int("first")?, row.int("sum")?)),
        ))
        .unwrap();
        assert_eq!(rows, vec![(40, 2, 42)]);
    }

    #[test]
    fn a_refusing_store_is_a_fault_and_a_broken_constraint_is_not() {
        let mut connection = in_memory();
        let run = |connection: &mut rusqlite::Connection, sql: &'static str| {
            futures_executor::block_on(connection.execute(sql, &[]))
        };
        run(&mut connection, "CREATE TABLE t (id BIGINT PRIMARY KEY)").unwrap();
        assert_eq!(run(&mut connection, "INSERT INTO t VALUES (1)").unwrap(), 1);
        let duplicate = run(&mut connection, "INSERT INTO t VALUES (1)").unwrap_err();
        assert!(!duplicate.is_storage_fault(), "{duplicate}");
        assert!(matches!(
            LedgerError::from(duplicate),
            LedgerError::Embedded(_)
        ));

        run(&mut connection, "PRAGMA query_only = 1").unwrap();
        let refused = run(&mut connection, "INSERT INTO t VALUES (2)").unwrap_err();
        assert!(refused.is_storage_fault(), "{refused}");
        assert!(matches!(
            LedgerError::from(refused),
            LedgerError::Unavailable(_)
        ));
    }
}
