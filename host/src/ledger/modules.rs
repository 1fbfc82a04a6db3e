//! Uploaded modules: their records and bytes (in the store, so every host can load
//! them), who may use them, and how often each failed.

use std::collections::BTreeMap;

use sqlx::any::AnyRow;
use sqlx::{Connection as _, Row};

use super::{Ledger, LedgerError, stored_digest, to_i64, to_u64};
use crate::engine::ModuleDigest;

/// A module as stored (without its bytes).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ModuleRecord {
    pub digest: ModuleDigest,
    pub world: String,
    pub size: u64,
    pub name: String,
    pub version: String,
    pub metadata_json: String,
    pub schema_json: String,
    pub uploaded_by: String,
    pub uploaded_at_ms: i64,
}

impl Ledger {
    /// Stores a module and lets `scope` (a shop id, or `*` for all) use it. Storing the
    /// same digest again only adds the scope.
    pub async fn store_module(
        &self,
        record: &ModuleRecord,
        bytes: &[u8],
        scope: &str,
    ) -> Result<(), LedgerError> {
        let mut writer = self.write_connection().await?;
        let written = async {
            let mut tx = writer.connection().begin().await?;
            sqlx::query(
                "INSERT INTO modules (digest, world, size, name, version, metadata_json, schema_json,
                     bytes, uploaded_by, uploaded_at_ms)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                 ON CONFLICT (digest) DO NOTHING",
            )
            .bind(record.digest.as_str())
            .bind(&record.world)
            .bind(to_i64(record.size))
            .bind(&record.name)
            .bind(&record.version)
            .bind(&record.metadata_json)
            .bind(&record.schema_json)
            .bind(bytes)
            .bind(&record.uploaded_by)
            .bind(record.uploaded_at_ms)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO module_scopes (digest, scope) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            )
            .bind(record.digest.as_str())
            .bind(scope)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok::<_, LedgerError>(())
        }
        .await;
        writer.done(written)
    }

    /// A module's record, if `scope` may use it (`None` scope: anyone, for operators).
    pub async fn module(
        &self,
        digest: &ModuleDigest,
        scope: Option<&str>,
    ) -> Result<Option<ModuleRecord>, LedgerError> {
        let row = sqlx::query(
            "SELECT digest, world, size, name, version, metadata_json, schema_json, uploaded_by,
                    uploaded_at_ms
             FROM modules m
             WHERE digest = $1 AND ($2 IS NULL OR EXISTS (
                 SELECT 1 FROM module_scopes s WHERE s.digest = m.digest AND s.scope IN ('*', $2)))",
        )
        .bind(digest.as_str())
        .bind(scope)
        .fetch_optional(self.pool())
        .await?;
        row.map(|row| module_from_row(&row)).transpose()
    }

    /// The modules `scope` may use (`None`: all), newest first.
    pub async fn modules(&self, scope: Option<&str>) -> Result<Vec<ModuleRecord>, LedgerError> {
        let rows = sqlx::query(
            "SELECT digest, world, size, name, version, metadata_json, schema_json, uploaded_by,
                    uploaded_at_ms
             FROM modules m
             WHERE $1 IS NULL OR EXISTS (
                 SELECT 1 FROM module_scopes s WHERE s.digest = m.digest AND s.scope IN ('*', $1))
             ORDER BY uploaded_at_ms DESC, digest",
        )
        .bind(scope)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(module_from_row).collect()
    }

    /// A module's component bytes.
    pub async fn module_bytes(
        &self,
        digest: &ModuleDigest,
    ) -> Result<Option<Vec<u8>>, LedgerError> {
        let row = sqlx::query("SELECT bytes FROM modules WHERE digest = $1")
            .bind(digest.as_str())
            .fetch_optional(self.pool())
            .await?;
        row.map(|row| Ok(row.try_get("bytes")?)).transpose()
    }

    /// Counts one failure of `kind` (`guest_timeout`, ...) against module `digest`.
    pub async fn count_failure(
        &self,
        digest: &ModuleDigest,
        kind: &str,
        at_ms: i64,
    ) -> Result<(), LedgerError> {
        let statement = sqlx::query(
            "INSERT INTO module_failures (digest, kind, count, last_at_ms) VALUES ($1, $2, 1, $3)
             ON CONFLICT (digest, kind) DO UPDATE SET count = module_failures.count + 1,
                 last_at_ms = excluded.last_at_ms",
        )
        .bind(digest.as_str())
        .bind(kind)
        .bind(at_ms);
        self.write_statement(statement).await?;
        Ok(())
    }

    /// How often module `digest` failed, by kind.
    pub async fn module_failures(
        &self,
        digest: &ModuleDigest,
    ) -> Result<BTreeMap<String, u64>, LedgerError> {
        let rows = sqlx::query("SELECT kind, count FROM module_failures WHERE digest = $1")
            .bind(digest.as_str())
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("kind")?, to_u64(row.try_get("count")?))))
            .collect()
    }
}

fn module_from_row(row: &AnyRow) -> Result<ModuleRecord, LedgerError> {
    Ok(ModuleRecord {
        digest: stored_digest(&row.try_get::<String, _>("digest")?)?,
        world: row.try_get("world")?,
        size: to_u64(row.try_get("size")?),
        name: row.try_get("name")?,
        version: row.try_get("version")?,
        metadata_json: row.try_get("metadata_json")?,
        schema_json: row.try_get("schema_json")?,
        uploaded_by: row.try_get("uploaded_by")?,
        uploaded_at_ms: row.try_get("uploaded_at_ms")?,
    })
}
