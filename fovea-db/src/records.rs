//! How personas, ontologies, videos and world objects sit in FOVEA's tables, and timestamps.
//!
//! * `personas`: one column per field; fields FOVEA has no column for are not stored.
//! * `ontologies`: one row per persona; the API's `entities`/`events`/`roles`/`relationTypes`
//!   are the columns `entityTypes`/`eventTypes`/`roleTypes`/`relationTypes` (FOVEA has no
//!   column for `relations`).
//! * `videos`: the columns FOVEA's video sync fills (`filename`, `path`, `duration`,
//!   `frameRate`, `resolution` as `WxH`) and, in `metadata`, the whole video line — so nothing
//!   of it is lost. A row FOVEA wrote (its `metadata` is a sidecar without an `id`) reads as
//!   FOVEA's `GET /api/videos` shows it: the columns merged with the metadata's keys.
//! * `world_state`: one row per user, one JSON array per kind of world object.
//! * Timestamps are `TIMESTAMP(3)` in UTC; ISO strings that do not parse become "now".

use chrono::{DateTime, NaiveDateTime, Utc};
use fovea_core::jsonl::LineKind;
use fovea_core::model::{Persona, PersonaOntology, Video};
use serde_json::{Map, Value};

/// Now, at the millisecond precision of `TIMESTAMP(3)`.
pub(crate) fn now() -> NaiveDateTime {
    let t = Utc::now().naive_utc();
    t - chrono::Duration::nanoseconds(i64::from(t.and_utc().timestamp_subsec_nanos() % 1_000_000))
}

/// An ISO 8601 timestamp as a UTC `TIMESTAMP(3)`; `None` when absent or unreadable.
pub(crate) fn parse_time(iso: Option<&str>) -> Option<NaiveDateTime> {
    let t = DateTime::parse_from_rfc3339(iso?).ok()?.naive_utc();
    let nanos = t.and_utc().timestamp_subsec_nanos() % 1_000_000;
    Some(t - chrono::Duration::nanoseconds(i64::from(nanos)))
}

/// A `TIMESTAMP(3)` as FOVEA's API writes it: `YYYY-MM-DDTHH:mm:ss.sssZ`.
pub(crate) fn iso(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// The columns of a `personas` row.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PersonaRow {
    pub id: String,
    pub user_id: String,
    pub name: String,
    pub role: String,
    pub information_need: String,
    pub details: Option<String>,
    pub is_system_generated: bool,
    pub hidden: bool,
    pub created_at: NaiveDateTime,
}

impl PersonaRow {
    /// The row of `p`, filed under `user_id`.
    pub(crate) fn of(p: &Persona, id: &str, user_id: &str) -> Self {
        PersonaRow {
            id: id.to_owned(),
            user_id: user_id.to_owned(),
            name: p.name.clone().unwrap_or_default(),
            role: p.role.clone().unwrap_or_default(),
            information_need: p.information_need.clone().unwrap_or_default(),
            details: p.details.clone(),
            is_system_generated: p.is_system_generated.unwrap_or(false),
            hidden: p.hidden.unwrap_or(false),
            created_at: parse_time(p.created_at.as_deref()).unwrap_or_else(now),
        }
    }

    /// The persona, as FOVEA's API shows it.
    pub(crate) fn persona(self, updated_at: NaiveDateTime) -> Persona {
        Persona {
            id: Some(self.id),
            name: Some(self.name),
            role: Some(self.role),
            information_need: Some(self.information_need),
            details: self.details,
            user_id: Some(self.user_id),
            is_system_generated: Some(self.is_system_generated),
            hidden: Some(self.hidden),
            created_at: Some(iso(self.created_at)),
            updated_at: Some(iso(updated_at)),
            extra: Map::new(),
        }
    }
}

/// The JSON columns of an `ontologies` row, in column order: `entityTypes`, `eventTypes`,
/// `roleTypes`, `relationTypes`.
pub(crate) fn ontology_columns(o: &PersonaOntology) -> [String; 4] {
    let list = |v: &Option<Vec<Value>>| {
        serde_json::to_string(v.as_deref().unwrap_or_default()).expect("JSON values serialize")
    };
    [
        list(&o.entities),
        list(&o.events),
        list(&o.roles),
        list(&o.relation_types),
    ]
}

/// Reads a JSON array column; anything else is an empty list.
fn json_list(text: &str) -> Vec<Value> {
    match serde_json::from_str(text) {
        Ok(Value::Array(items)) => items,
        _ => Vec::new(),
    }
}

/// The ontology of a row (API shape, with FOVEA's invented `relations: []`).
pub(crate) fn ontology_of(
    id: String,
    persona_id: String,
    [entities, events, roles, relation_types]: [String; 4],
    created: NaiveDateTime,
    updated: NaiveDateTime,
) -> PersonaOntology {
    PersonaOntology {
        id: Some(id),
        persona_id: Some(persona_id),
        entities: Some(json_list(&entities)),
        roles: Some(json_list(&roles)),
        events: Some(json_list(&events)),
        relation_types: Some(json_list(&relation_types)),
        relations: Some(Vec::new()),
        created_at: Some(iso(created)),
        updated_at: Some(iso(updated)),
        extra: Map::new(),
    }
}

/// The columns of a `videos` row.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct VideoRow {
    pub id: String,
    pub filename: String,
    pub path: String,
    pub duration: Option<f64>,
    pub frame_rate: Option<f64>,
    pub resolution: Option<String>,
    pub metadata: Option<String>,
}

impl VideoRow {
    /// The row of a video line (its `id` given: lines without one are not stored).
    pub(crate) fn of(v: &Video, id: &str) -> Self {
        let resolution = match (v.width, v.height) {
            (Some(w), Some(h)) => Some(format!("{w}x{h}")),
            _ => None,
        };
        VideoRow {
            id: id.to_owned(),
            filename: v.filename.clone().unwrap_or_else(|| id.to_owned()),
            path: v
                .path
                .clone()
                .or_else(|| v.file_path.clone())
                .unwrap_or_default(),
            duration: v.duration,
            frame_rate: v.fps,
            resolution,
            metadata: Some(serde_json::to_string(v).expect("videos serialize")),
        }
    }

    /// The video line of a row.
    pub(crate) fn video(self) -> Video {
        let metadata = self
            .metadata
            .as_deref()
            .and_then(|m| serde_json::from_str::<Value>(m).ok());
        let mut object = match metadata {
            // Written by fovea: the whole video line.
            Some(Value::Object(m)) if m.contains_key("id") => m,
            // Written by FOVEA: the columns, then the sidecar's keys.
            other => {
                let mut m = Map::new();
                m.insert("filename".into(), Value::from(self.filename.as_str()));
                m.insert("path".into(), Value::from(self.path.as_str()));
                let columns = [("duration", self.duration), ("frameRate", self.frame_rate)];
                for (key, value) in columns {
                    if let Some(v) = value {
                        m.insert(key.into(), Value::from(v));
                    }
                }
                if let Some(r) = &self.resolution {
                    m.insert("resolution".into(), Value::from(r.as_str()));
                }
                if let Some(Value::Object(sidecar)) = other {
                    for (k, v) in sidecar {
                        if !matches!(k.as_str(), "id" | "filename" | "path") {
                            m.insert(k, v);
                        }
                    }
                }
                m
            }
        };
        object.insert("id".into(), Value::from(self.id.as_str()));
        serde_json::from_value(Value::Object(object)).unwrap_or_else(|_| Video {
            id: Some(self.id),
            ..Default::default()
        })
    }
}

/// The `world_state` column that holds objects of `kind`, in the table's column order.
pub(crate) const WORLD_COLUMNS: [(&str, LineKind); 7] = [
    ("entities", LineKind::Entity),
    ("events", LineKind::Event),
    ("times", LineKind::Time),
    ("entityCollections", LineKind::EntityCollection),
    ("eventCollections", LineKind::EventCollection),
    ("timeCollections", LineKind::TimeCollection),
    ("relations", LineKind::Relation),
];

/// The items of a world-state JSON array column, each as JSON text.
pub(crate) fn world_items(text: &str) -> Vec<String> {
    json_list(text).iter().map(Value::to_string).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_keep_milliseconds_in_utc() {
        let t = parse_time(Some("2025-10-01T12:00:00.123456+02:00")).unwrap();
        assert_eq!(iso(t), "2025-10-01T10:00:00.123Z");
        assert_eq!(parse_time(Some("yesterday")), None);
        assert_eq!(now().and_utc().timestamp_subsec_nanos() % 1_000_000, 0);
    }

    #[test]
    fn a_video_line_round_trips_and_a_fovea_row_reads_as_its_api_shows_it() {
        let v: Video = serde_json::from_str(
            r#"{"id":"v1","title":"T","width":640,"height":480,"fps":25,"custom":1}"#,
        )
        .unwrap();
        let row = VideoRow::of(&v, "v1");
        assert_eq!(row.resolution.as_deref(), Some("640x480"));
        assert_eq!(row.filename, "v1");
        assert_eq!(row.clone().video(), v);

        let sidecar = VideoRow {
            id: "abc".into(),
            filename: "clip.mp4".into(),
            path: "/videos/clip.mp4".into(),
            duration: Some(12.5),
            frame_rate: Some(30.0),
            resolution: None,
            metadata: Some(
                r#"{"width":1920,"height":1080,"title":"Clip","path":"/elsewhere"}"#.into(),
            ),
        };
        let v = sidecar.video();
        assert_eq!(v.id.as_deref(), Some("abc"));
        assert_eq!(v.width, Some(1920.0));
        assert_eq!(v.filename.as_deref(), Some("clip.mp4"));
        assert_eq!(v.path.as_deref(), Some("/videos/clip.mp4"));
        assert_eq!(v.extra.get("frameRate"), Some(&Value::from(30.0)));
    }
}
