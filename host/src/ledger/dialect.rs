//! Where SQLite and PostgreSQL differ, named in one place. Everything else the ledger
//! says is the same text for both: `$1` parameters, `ON CONFLICT ... DO UPDATE`,
//! `RETURNING`, `CASE WHEN EXISTS` for flags (PostgreSQL's `EXISTS` is a boolean,
//! SQLite's an integer), `CAST(SUM(..) AS BIGINT)` (PostgreSQL sums BIGINTs as NUMERIC).

use sqlx::migrate::Migrator;

/// The SQL dialect of a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

impl Dialect {
    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }

    /// The schema history in this dialect (the same versions for both). sqlx holds an
    /// advisory lock on PostgreSQL while it migrates, so replicas starting together
    /// take turns.
    pub(super) fn migrator(self) -> &'static Migrator {
        match self {
            Self::Sqlite => &SQLITE_MIGRATIONS,
            Self::Postgres => &POSTGRES_MIGRATIONS,
        }
    }

    /// Rewrites the heartbeat row with `$2` bytes of padding at time `$1`.
    pub(super) fn heartbeat(self) -> &'static str {
        match self {
            Self::Sqlite => "UPDATE health SET beat_at_ms = $1, pad = zeroblob($2) WHERE id = 1",
            Self::Postgres => {
                "UPDATE health SET beat_at_ms = $1, pad = decode(repeat('00', $2::integer), 'hex')
                 WHERE id = 1"
            }
        }
    }

    /// Taken first in a transaction that reads the config before changing it (a new
    /// policy version reads what is active): on PostgreSQL a row lock on the config epoch,
    /// so such changes from several hosts take turns; on SQLite a write that changes
    /// nothing, which takes the database's write lock (waiting its turn) before the
    /// first read, since the decisions' writer (see [`super::embedded`]) is another
    /// connection and a read-then-write transaction could otherwise not upgrade.
    pub(super) fn lock_config(self) -> Option<&'static str> {
        match self {
            Self::Sqlite => Some("UPDATE config_epoch SET epoch = epoch WHERE id = 0"),
            Self::Postgres => Some("SELECT epoch FROM config_epoch WHERE id = 1 FOR UPDATE"),
        }
    }

    /// Opens the group commit's transaction: on SQLite with the write lock taken at once
    /// (another connection may write between batches).
    pub(super) fn begin(self) -> &'static str {
        match self {
            Self::Sqlite => "BEGIN IMMEDIATE",
            Self::Postgres => "BEGIN",
        }
    }

    /// Taken before a decision's write reads its claim's stored revision (`$1`, the
    /// claim id) to move its money between running totals: on PostgreSQL a lock held to
    /// the end of the transaction, so two hosts recording revisions of one claim at once
    /// take turns instead of both moving the old revision's money.
    pub(super) fn lock_claim(self) -> Option<&'static str> {
        match self {
            Self::Sqlite => None,
            Self::Postgres => Some("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_dialects_have_one_schema_history() {
        let versions = |dialect: Dialect| -> Vec<(i64, String)> {
            dialect
                .migrator()
                .iter()
                .map(|migration| (migration.version, migration.description.to_string()))
                .collect()
        };
        let sqlite = versions(Dialect::Sqlite);
        assert_eq!(sqlite, versions(Dialect::Postgres));
        assert!(sqlite.len() >= 11, "{sqlite:?}");
    }
}
