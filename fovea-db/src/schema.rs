//! FOVEA's tables: the DDL that creates them where they are missing, and the check
//! that tables found in a database have the columns fovea reads and writes.
//!
//! The Postgres DDL is what FOVEA's Prisma migrations produce for these tables (names of keys,
//! indexes and foreign keys included), so a database fovea creates is one FOVEA can use and
//! the other way round. SQLite gets the same tables with `TEXT` for `JSONB` and `DATETIME` for
//! `TIMESTAMP(3)`. Migration only ever creates what is missing: it never alters, drops or
//! rewrites a table that exists, so a database made by FOVEA's own migrations is used as is.

use crate::error::{DbError, Result};
use crate::sql::{Arg, Backend, Conn, Sql, fetch_all};
use serde::Serialize;

/// One of FOVEA's tables: its name, its DDL (`{json}` and `{ts}` stand for the backend's JSON
/// and timestamp types) and the columns fovea needs.
struct Table {
    name: &'static str,
    ddl: &'static str,
    columns: &'static [&'static str],
}

const TABLES: &[Table] = &[
    Table {
        name: "users",
        ddl: r#"CREATE TABLE "users" (
    "id" TEXT NOT NULL,
    "username" TEXT NOT NULL,
    "email" TEXT,
    "passwordHash" TEXT,
    "displayName" TEXT NOT NULL,
    "isAdmin" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" {ts} NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" {ts} NOT NULL,
    CONSTRAINT "users_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "users_username_key" ON "users"("username");
CREATE UNIQUE INDEX "users_email_key" ON "users"("email");"#,
        columns: &["id", "username", "displayName", "updatedAt"],
    },
    Table {
        name: "personas",
        ddl: r#"CREATE TABLE "personas" (
    "id" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "informationNeed" TEXT NOT NULL,
    "details" TEXT,
    "isSystemGenerated" BOOLEAN NOT NULL DEFAULT false,
    "hidden" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" {ts} NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" {ts} NOT NULL,
    CONSTRAINT "personas_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "personas_userId_fkey" FOREIGN KEY ("userId") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE
);"#,
        columns: &[
            "id",
            "userId",
            "name",
            "role",
            "informationNeed",
            "details",
            "isSystemGenerated",
            "hidden",
            "createdAt",
            "updatedAt",
        ],
    },
    Table {
        name: "ontologies",
        ddl: r#"CREATE TABLE "ontologies" (
    "id" TEXT NOT NULL,
    "personaId" TEXT NOT NULL,
    "entityTypes" {json} NOT NULL DEFAULT '[]',
    "eventTypes" {json} NOT NULL DEFAULT '[]',
    "roleTypes" {json} NOT NULL DEFAULT '[]',
    "relationTypes" {json} NOT NULL DEFAULT '[]',
    "createdAt" {ts} NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" {ts} NOT NULL,
    CONSTRAINT "ontologies_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "ontologies_personaId_fkey" FOREIGN KEY ("personaId") REFERENCES "personas"("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE UNIQUE INDEX "ontologies_personaId_key" ON "ontologies"("personaId");"#,
        columns: &[
            "id",
            "personaId",
            "entityTypes",
            "eventTypes",
            "roleTypes",
            "relationTypes",
            "updatedAt",
        ],
    },
    Table {
        name: "world_state",
        ddl: r#"CREATE TABLE "world_state" (
    "id" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "entities" {json} NOT NULL DEFAULT '[]',
    "events" {json} NOT NULL DEFAULT '[]',
    "times" {json} NOT NULL DEFAULT '[]',
    "entityCollections" {json} NOT NULL DEFAULT '[]',
    "eventCollections" {json} NOT NULL DEFAULT '[]',
    "timeCollections" {json} NOT NULL DEFAULT '[]',
    "relations" {json} NOT NULL DEFAULT '[]',
    "createdAt" {ts} NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" {ts} NOT NULL,
    CONSTRAINT "world_state_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "world_state_userId_fkey" FOREIGN KEY ("userId") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE UNIQUE INDEX "world_state_userId_key" ON "world_state"("userId");"#,
        columns: &[
            "id",
            "userId",
            "entities",
            "events",
            "times",
            "entityCollections",
            "eventCollections",
            "timeCollections",
            "relations",
            "updatedAt",
        ],
    },
    Table {
        name: "videos",
        ddl: r#"CREATE TABLE "videos" (
    "id" TEXT NOT NULL,
    "filename" TEXT NOT NULL,
    "path" TEXT NOT NULL,
    "duration" DOUBLE PRECISION,
    "frameRate" DOUBLE PRECISION,
    "resolution" TEXT,
    "metadata" {json},
    "createdAt" {ts} NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" {ts} NOT NULL,
    "localThumbnailPath" TEXT,
    "lastMetadataSync" {ts},
    "sourcePlatform" TEXT,
    "platformVideoId" TEXT,
    "metadataSyncStatus" TEXT,
    CONSTRAINT "videos_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "videos_filename_key" ON "videos"("filename");"#,
        columns: &[
            "id",
            "filename",
            "path",
            "duration",
            "frameRate",
            "resolution",
            "metadata",
            "createdAt",
            "updatedAt",
        ],
    },
    Table {
        name: "annotations",
        ddl: r#"CREATE TABLE "annotations" (
    "id" TEXT NOT NULL,
    "videoId" TEXT NOT NULL,
    "personaId" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "label" TEXT NOT NULL,
    "frames" {json} NOT NULL,
    "confidence" DOUBLE PRECISION,
    "source" TEXT NOT NULL DEFAULT 'manual',
    "createdAt" {ts} NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" {ts} NOT NULL,
    CONSTRAINT "annotations_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "annotations_videoId_fkey" FOREIGN KEY ("videoId") REFERENCES "videos"("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "annotations_personaId_fkey" FOREIGN KEY ("personaId") REFERENCES "personas"("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX "annotations_videoId_idx" ON "annotations"("videoId");
CREATE INDEX "annotations_personaId_idx" ON "annotations"("personaId");
CREATE INDEX "annotations_videoId_personaId_idx" ON "annotations"("videoId", "personaId");
CREATE INDEX "annotations_createdAt_idx" ON "annotations"("createdAt");"#,
        columns: &[
            "id",
            "videoId",
            "personaId",
            "type",
            "label",
            "frames",
            "confidence",
            "source",
            "createdAt",
            "updatedAt",
        ],
    },
    Table {
        name: "import_history",
        ddl: r#"CREATE TABLE "import_history" (
    "id" TEXT NOT NULL,
    "filename" TEXT NOT NULL,
    "importedBy" TEXT,
    "importOptions" {json} NOT NULL,
    "result" {json} NOT NULL,
    "success" BOOLEAN NOT NULL,
    "itemsImported" INTEGER NOT NULL,
    "itemsSkipped" INTEGER NOT NULL,
    "createdAt" {ts} NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "import_history_pkey" PRIMARY KEY ("id")
);"#,
        columns: &[
            "id",
            "filename",
            "importedBy",
            "importOptions",
            "result",
            "success",
            "itemsImported",
            "itemsSkipped",
            "createdAt",
        ],
    },
];

/// What a migration found and did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SchemaReport {
    /// Tables that were missing and are now created.
    pub created: Vec<String>,
    /// Tables that existed, with the columns fovea needs, and were left as they were.
    pub existing: Vec<String>,
    /// Whether FOVEA's own (Prisma) migrations made this database.
    pub fovea_migrations: bool,
}

/// The tables fovea needs that the database lacks, after checking that those it has carry
/// fovea's columns.
async fn missing_tables(conn: &mut Conn<'_>) -> Result<Vec<&'static Table>> {
    let backend = conn.backend();
    let mut missing = Vec::new();
    for table in TABLES {
        let columns = table_columns(conn, backend, table.name).await?;
        if columns.is_empty() {
            missing.push(table);
            continue;
        }
        let lacking: Vec<&str> = table
            .columns
            .iter()
            .copied()
            .filter(|c| !columns.iter().any(|have| have == c))
            .collect();
        if !lacking.is_empty() {
            return Err(DbError::Schema(format!(
                "table \"{}\" exists but lacks the column(s) {} that FOVEA's schema has; \
                 fovea never alters an existing table",
                table.name,
                lacking.join(", ")
            )));
        }
    }
    Ok(missing)
}

async fn table_columns(conn: &mut Conn<'_>, backend: Backend, table: &str) -> Result<Vec<String>> {
    let sql = match backend {
        Backend::Postgres => {
            let mut s = Sql::new(
                backend,
                "SELECT column_name::text FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name = ",
            );
            s.bind(Arg::Text(table.to_owned()));
            s
        }
        Backend::Sqlite => {
            let mut s = Sql::new(backend, "SELECT name FROM pragma_table_info(");
            s.bind(Arg::Text(table.to_owned())).push(")");
            s
        }
    };
    Ok(fetch_all!(
        conn,
        sql,
        |row| sqlx::Row::try_get::<String, _>(row, 0)
    )?)
}

async fn has_prisma_migrations(conn: &mut Conn<'_>) -> Result<bool> {
    let backend = conn.backend();
    Ok(!table_columns(conn, backend, "_prisma_migrations")
        .await?
        .is_empty())
}

/// Creates the tables that are missing (in one transaction on the caller's side) and reports
/// what it found.
pub(crate) async fn migrate(conn: &mut Conn<'_>) -> Result<SchemaReport> {
    let backend = conn.backend();
    let missing = missing_tables(conn).await?;
    let mut report = SchemaReport {
        fovea_migrations: has_prisma_migrations(conn).await?,
        ..Default::default()
    };
    for table in TABLES {
        if missing.iter().any(|m| m.name == table.name) {
            conn.run(&ddl(table, backend)).await?;
            report.created.push(table.name.to_owned());
        } else {
            report.existing.push(table.name.to_owned());
        }
    }
    // fovea's own table (tracking candidates), beside FOVEA's.
    if crate::candidates::exists(conn).await? {
        report.existing.push(crate::candidates::TABLE.to_owned());
    } else {
        crate::candidates::create(conn).await?;
        report.created.push(crate::candidates::TABLE.to_owned());
    }
    Ok(report)
}

/// Fails, naming them, when tables are missing (a Postgres database must be migrated
/// explicitly: `fovea db migrate`).
pub(crate) async fn check(conn: &mut Conn<'_>) -> Result<()> {
    let missing = missing_tables(conn).await?;
    if missing.is_empty() {
        return Ok(());
    }
    let names: Vec<&str> = missing.iter().map(|t| t.name).collect();
    Err(DbError::Schema(format!(
        "the database lacks the table(s) {}; run `fovea db migrate` (or Store::migrate) first",
        names.join(", ")
    )))
}

fn ddl(table: &Table, backend: Backend) -> String {
    let (json, ts) = match backend {
        Backend::Postgres => ("JSONB", "TIMESTAMP(3)"),
        Backend::Sqlite => ("TEXT", "DATETIME"),
    };
    table.ddl.replace("{json}", json).replace("{ts}", ts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_needed_column_is_in_the_ddl() {
        for table in TABLES {
            for column in table.columns {
                assert!(
                    table.ddl.contains(&format!("\"{column}\" ")),
                    "{}.{column}",
                    table.name
                );
            }
            assert!(ddl(table, Backend::Sqlite).contains("CREATE TABLE"));
            assert!(!ddl(table, Backend::Postgres).contains('{'));
        }
    }
}
