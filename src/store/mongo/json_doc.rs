//! Maps serde domain types to BSON documents: `id` <-> `_id`, and named RFC 3339 fields stored
//! as native BSON dates (read back tolerantly, see `dates`).

use mongodb::bson::{self, Bson, Document};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::dates;
use crate::store::{StoreError, StoreResult};

/// Serialises `value` (which has an `id` field) into a document keyed by `_id`.
pub fn to_document<T: Serialize>(value: &T, date_fields: &[&str]) -> StoreResult<Document> {
    let json =
        serde_json::to_value(value).map_err(|e| StoreError::Other(format!("serialise: {e}")))?;
    let mut doc =
        bson::to_document(&json).map_err(|e| StoreError::Other(format!("to bson: {e}")))?;
    if let Some(id) = doc.remove("id") {
        doc.insert("_id", id);
    }
    for field in date_fields {
        if let Some(Bson::String(text)) = doc.get(*field) {
            if let Some(date) = dates::from_value(&Bson::String(text.clone())) {
                doc.insert(*field, Bson::DateTime(date));
            }
        }
    }
    Ok(doc)
}

/// The inverse of `to_document`.
pub fn from_document<T: DeserializeOwned>(
    mut doc: Document,
    date_fields: &[&str],
) -> StoreResult<T> {
    if let Some(id) = doc.remove("_id") {
        doc.insert("id", id);
    }
    for field in date_fields {
        if let Some(value) = doc.get(*field) {
            if matches!(value, Bson::Null) {
                continue;
            }
            let date = dates::from_value(value).ok_or_else(|| {
                StoreError::Other(format!("field {field} is not a date: {value}"))
            })?;
            let text = super::from_bson(date).to_rfc3339();
            doc.insert(*field, Bson::String(text));
        }
    }
    let json = Bson::Document(doc).into_relaxed_extjson();
    serde_json::from_value(json).map_err(|e| StoreError::Other(format!("decode document: {e}")))
}
