//! Reads the database behind a running `TestApp` directly, table by table (collection by
//! collection), to find every stored row that mentions a value anywhere, in any column.
//! This does not go through the repositories on purpose: it also sees tables no repository
//! method lists (rollups, chain heads, token families).

use std::collections::BTreeMap;

use mongodb::bson::{doc, Document};

use crate::common::{Engine, TestApp};

/// Table (or collection) name -> number of rows whose text contains `needle`; only tables with
/// at least one such row are listed.
pub async fn mentions(app: &TestApp, engine: &Engine, needle: &str) -> BTreeMap<String, u64> {
    let mut found = BTreeMap::new();
    match engine {
        Engine::Sqlite => {
            let path = app.config.dir.path().join("amarktai.db");
            let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
                .await
                .expect("open sqlite");
            let tables: Vec<String> = sqlx::query_scalar(
                "SELECT name FROM sqlite_master WHERE type = 'table' \
                 AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%'",
            )
            .fetch_all(&pool)
            .await
            .expect("tables");
            for table in tables {
                let columns: Vec<String> =
                    sqlx::query_scalar(&format!("SELECT name FROM pragma_table_info('{table}')"))
                        .fetch_all(&pool)
                        .await
                        .expect("columns");
                let any_column = columns
                    .iter()
                    .map(|c| format!("instr(CAST(\"{c}\" AS TEXT), ?) > 0"))
                    .collect::<Vec<_>>()
                    .join(" OR ");
                let sql = format!("SELECT COUNT(*) FROM \"{table}\" WHERE {any_column}");
                let mut query = sqlx::query_scalar::<_, i64>(&sql);
                for _ in &columns {
                    query = query.bind(needle);
                }
                let n = query.fetch_one(&pool).await.expect("count");
                if n > 0 {
                    found.insert(table, n as u64);
                }
            }
            pool.close().await;
        }
        Engine::Mongo(url) => {
            let (_, name) = app.config.mongo_db.clone().expect("mongo db name");
            let client = mongodb::Client::with_uri_str(url).await.expect("mongo");
            let db = client.database(&name);
            for collection in db.list_collection_names().await.expect("collections") {
                let mut cursor = db
                    .collection::<Document>(&collection)
                    .find(doc! {})
                    .await
                    .expect("find");
                let mut n = 0;
                while cursor.advance().await.expect("next") {
                    let document: Document = cursor.deserialize_current().expect("document");
                    if document.to_string().contains(needle) {
                        n += 1;
                    }
                }
                if n > 0 {
                    found.insert(collection, n);
                }
            }
        }
    }
    found
}
