//! Tracking candidates in the store: registering, listing, accepting and rejecting, on a fresh
//! SQLite file and a fresh Postgres database.

mod common;

use common::{TestDb, databases};
use fovea_core::model::{Annotation, BoundingBoxSequence};
use fovea_core::track::{Track, TrackFrame, track_to_sequence};
use fovea_db::{Backend, CandidateFilter, CandidateState, DbError, NewCandidate, Review, Store};
use serde_json::json;

async fn open(db: &TestDb) -> Store {
    let store = Store::connect(&db.url).await.unwrap();
    if store.backend() == Backend::Postgres {
        store.migrate().await.unwrap();
    }
    store
        .save_videos(&[
            serde_json::from_value(json!({"id": "v1", "width": 640, "height": 480})).unwrap(),
        ])
        .await
        .unwrap();
    store
        .save_personas(&[serde_json::from_value(json!({"id": "p1", "name": "Analyst"})).unwrap()])
        .await
        .unwrap();
    store
}

/// A track moving right one pixel a frame over `frames` frames.
fn track(object: i64, frames: u32) -> Track {
    Track {
        track_id: json!(object),
        label: format!("object {object}"),
        confidence: 0.9,
        model: "samurai".into(),
        frames: (0..frames)
            .map(|f| TrackFrame {
                frame_number: f,
                bbox: [10.0 + f64::from(f), 20.0, 30.0, 40.0],
                confidence: 0.9,
                occluded: false,
            })
            .collect(),
        video_width: 640,
        video_height: 480,
    }
}

fn candidate(job: &str, object: i64) -> NewCandidate {
    let track = track(object, 20);
    NewCandidate {
        job_id: job.into(),
        object_id: object,
        video_id: "v1".into(),
        sequence: track_to_sequence(&track),
        track,
        annotation_id: None,
    }
}

fn annotation(job: &str, object: i64, video: &str, persona: &str) -> Annotation {
    Annotation::from_value(json!({
        "id": format!("{job}-obj{object}"),
        "videoId": video,
        "annotationType": "type",
        "personaId": persona,
        "typeCategory": "entity",
        "typeId": "t1",
        "boundingBoxSequence": track_to_sequence(&track(object, 20)),
    }))
    .unwrap()
}

fn by_job(job: &str) -> CandidateFilter<'_> {
    CandidateFilter {
        job_id: Some(job),
        ..Default::default()
    }
}

#[tokio::test]
async fn candidates_are_listed_by_job_video_and_state_with_their_tracks() {
    for db in databases().await {
        let store = open(&db).await;
        let mut saved = candidate("j1", 2);
        saved.annotation_id = Some("j1-obj2".into());
        store
            .register_candidates(&[candidate("j1", 1), saved, candidate("j2", 1)])
            .await
            .unwrap();
        let listed = store.candidates(&by_job("j1")).await.unwrap();
        assert_eq!(
            listed
                .iter()
                .map(|c| (c.object_id, c.state))
                .collect::<Vec<_>>(),
            [(1, CandidateState::Pending), (2, CandidateState::Accepted)],
            "{}",
            db.name
        );
        let first = &listed[0];
        assert_eq!(
            (
                first.tracked_frames,
                first.keyframes,
                first.version,
                first.label.as_deref()
            ),
            (20, 20, 1, Some("object 1"))
        );
        let on_video = CandidateFilter {
            video_id: Some("v1"),
            state: Some(CandidateState::Pending),
            ..Default::default()
        };
        assert_eq!(
            store.candidates(&on_video).await.unwrap().len(),
            2,
            "{}",
            db.name
        );
        let (c, t) = store.candidate_track("j2", 1).await.unwrap().unwrap();
        assert_eq!((c.job_id.as_str(), t), ("j2", track(1, 20)));
        assert!(store.candidate_track("j2", 9).await.unwrap().is_none());
    }
}

#[tokio::test]
async fn accepting_saves_the_annotation_once_and_rejecting_removes_it() {
    for db in databases().await {
        let store = open(&db).await;
        store
            .register_candidates(&[candidate("j1", 1)])
            .await
            .unwrap();
        let a = annotation("j1", 1, "v1", "p1");
        let accepted = store
            .review_candidate(
                "j1",
                1,
                Review::Accept(Box::new(a.clone())),
                Some(1),
                Some("ann"),
            )
            .await
            .unwrap();
        assert_eq!(
            (
                accepted.state,
                accepted.annotation_id.as_deref(),
                accepted.version
            ),
            (CandidateState::Accepted, Some("j1-obj1"), 2),
            "{}",
            db.name
        );
        assert_eq!(accepted.reviewed_by.as_deref(), Some("ann"));
        assert!(
            accepted
                .reviewed_at
                .as_deref()
                .is_some_and(|t| t.ends_with('Z'))
        );
        // Again (no version named): replaced, not duplicated.
        let mut shorter = a.clone();
        shorter.bounding_box_sequence = BoundingBoxSequence {
            boxes: a.bounding_box_sequence.boxes[..2].to_vec(),
            ..Default::default()
        };
        let again = store
            .review_candidate("j1", 1, Review::Accept(Box::new(shorter)), None, None)
            .await
            .unwrap();
        assert_eq!(again.version, 3);
        let (all, _) = store.annotations(Some("v1")).await.unwrap();
        assert_eq!(all.len(), 1, "{}", db.name);
        assert_eq!(all[0].bounding_box_sequence.boxes.len(), 2);
        // A job run again does not reset a reviewed candidate.
        store
            .register_candidates(&[candidate("j1", 1)])
            .await
            .unwrap();
        assert_eq!(store.candidates(&by_job("j1")).await.unwrap()[0].version, 3);

        let rejected = store
            .review_candidate(
                "j1",
                1,
                Review::Reject {
                    reason: Some("drifts".into()),
                },
                Some(3),
                None,
            )
            .await
            .unwrap();
        assert_eq!(
            (
                rejected.state,
                rejected.annotation_id,
                rejected.reason.as_deref()
            ),
            (CandidateState::Rejected, None, Some("drifts"))
        );
        assert!(
            store.annotation("j1-obj1").await.unwrap().is_none(),
            "{}",
            db.name
        );
        let pending = CandidateFilter {
            state: Some(CandidateState::Pending),
            ..Default::default()
        };
        assert!(store.candidates(&pending).await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn a_review_of_a_version_already_reviewed_is_a_conflict_and_changes_nothing() {
    for db in databases().await {
        let store = open(&db).await;
        store
            .register_candidates(&[candidate("j1", 1)])
            .await
            .unwrap();
        // Two reviewers saw version 1 and act at once: one wins.
        let accept = store.review_candidate(
            "j1",
            1,
            Review::Accept(Box::new(annotation("j1", 1, "v1", "p1"))),
            Some(1),
            Some("a"),
        );
        let reject =
            store.review_candidate("j1", 1, Review::Reject { reason: None }, Some(1), Some("b"));
        let (accept, reject) = tokio::join!(accept, reject);
        let (won, lost) = match (accept, reject) {
            (Ok(c), Err(e)) | (Err(e), Ok(c)) => (c, e),
            other => panic!("{}: exactly one review must win: {other:?}", db.name),
        };
        assert_eq!(won.version, 2);
        assert!(
            matches!(
                lost,
                DbError::Conflict {
                    expected: 1,
                    found: 2,
                    ..
                }
            ),
            "{lost}"
        );
        assert_eq!(lost.code(), "conflict");
        let stored = store.candidates(&by_job("j1")).await.unwrap().remove(0);
        assert_eq!(
            (stored.state, stored.version),
            (won.state, 2),
            "{}",
            db.name
        );
        let saved = store.annotation("j1-obj1").await.unwrap().is_some();
        assert_eq!(saved, won.state == CandidateState::Accepted, "{}", db.name);

        // Two reviewers accept one candidate at once, as different types: one annotation.
        store
            .register_candidates(&[candidate("j1", 2)])
            .await
            .unwrap();
        let as_type = |t: &str| {
            let mut a = annotation("j1", 2, "v1", "p1");
            a.type_id = Some(t.to_owned());
            Review::Accept(Box::new(a))
        };
        let (a, b) = tokio::join!(
            store.review_candidate("j1", 2, as_type("ship"), Some(1), Some("a")),
            store.review_candidate("j1", 2, as_type("boat"), Some(1), Some("b")),
        );
        let winner = match (a, b) {
            (Ok(c), Err(e)) | (Err(e), Ok(c)) => {
                assert_eq!(e.code(), "conflict", "{e}");
                c
            }
            other => panic!("{}: exactly one accept must win: {other:?}", db.name),
        };
        let kept = store.annotation("j1-obj2").await.unwrap().unwrap();
        let by = winner.reviewed_by.as_deref();
        let expected = if by == Some("a") { "ship" } else { "boat" };
        assert_eq!(kept.type_id.as_deref(), Some(expected), "{}", db.name);
    }
}

#[tokio::test]
async fn accepting_needs_the_video_and_persona_and_an_existing_candidate() {
    for db in databases().await {
        let store = open(&db).await;
        store
            .register_candidates(&[candidate("j1", 1)])
            .await
            .unwrap();
        let review = |video: &str, persona: &str| {
            Review::Accept(Box::new(annotation("j1", 1, video, persona)))
        };
        let e = store
            .review_candidate("j1", 1, review("v9", "p1"), None, None)
            .await
            .unwrap_err();
        assert_eq!(e.code(), "missing-dependency");
        assert!(e.to_string().contains("video \"v9\""), "{e}");
        let e = store
            .review_candidate("j1", 1, review("v1", "p9"), None, None)
            .await
            .unwrap_err();
        assert!(e.to_string().contains("persona \"p9\""), "{e}");
        let e = store
            .review_candidate("j1", 7, review("v1", "p1"), None, None)
            .await
            .unwrap_err();
        assert_eq!(e.code(), "candidate-not-found");
        // Nothing changed.
        let c = store.candidates(&by_job("j1")).await.unwrap().remove(0);
        assert_eq!(
            (c.state, c.version),
            (CandidateState::Pending, 1),
            "{}",
            db.name
        );
    }
}

#[tokio::test]
async fn a_postgres_database_migrated_without_the_table_says_to_migrate() {
    for db in databases().await {
        if db.name != "postgres" {
            continue;
        }
        let store = Store::connect(&db.url).await.unwrap();
        let e = store
            .candidates(&CandidateFilter::default())
            .await
            .unwrap_err();
        assert_eq!(e.code(), "schema", "{e}");
        assert!(e.to_string().contains("fovea db migrate"), "{e}");
    }
}
