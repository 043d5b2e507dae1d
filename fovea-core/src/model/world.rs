//! Personas, ontologies, world objects, videos and export metadata, as they appear in FOVEA's
//! JSON Lines.
//!
//! FOVEA enforces little of its model, so every field is optional here and validation says
//! what is missing. Rich nested structures that fovea only carries (gloss items, recurrence
//! rules, location geometry, …) are kept as JSON values; every unknown field is kept in `extra`.

use super::raw::lenient_struct;
use serde_json::Value;

lenient_struct! {
    /// A persona: a point of view with its own ontology.
    pub struct Persona {
        /// Id (UUID).
        id: String = "id",
        /// Display name.
        name: String = "name",
        /// The persona's role.
        role: String = "role",
        /// What the persona needs to know.
        information_need: String = "informationNeed",
        /// Free-text details.
        details: String = "details",
        /// Owning user.
        user_id: String = "userId",
        /// Created by the system rather than a user.
        is_system_generated: bool = "isSystemGenerated",
        /// Hidden from the UI.
        hidden: bool = "hidden",
        /// ISO timestamp.
        created_at: String = "createdAt",
        /// ISO timestamp.
        updated_at: String = "updatedAt",
    }
}

lenient_struct! {
    /// The types a persona uses (API shape: `entities`, `roles`, `events`, …).
    pub struct PersonaOntology {
        /// Id.
        id: String = "id",
        /// The persona it belongs to.
        persona_id: String = "personaId",
        /// Entity types.
        entities: Vec<Value> = "entities",
        /// Role types.
        roles: Vec<Value> = "roles",
        /// Event types.
        events: Vec<Value> = "events",
        /// Relation types.
        relation_types: Vec<Value> = "relationTypes",
        /// Relations between types.
        relations: Vec<Value> = "relations",
        /// ISO timestamp.
        created_at: String = "createdAt",
        /// ISO timestamp.
        updated_at: String = "updatedAt",
    }
}

lenient_struct! {
    /// The data of an `ontology` line: all personas and their ontologies.
    pub struct OntologyData {
        /// The personas.
        personas: Vec<Persona> = "personas",
        /// Their ontologies.
        persona_ontologies: Vec<PersonaOntology> = "personaOntologies",
    }
}

lenient_struct! {
    /// A persona's typing of a world object.
    pub struct TypeAssignment {
        /// The persona.
        persona_id: String = "personaId",
        /// The entity type (entities, entity collections).
        entity_type_id: String = "entityTypeId",
        /// The event type (event collections).
        event_type_id: String = "eventTypeId",
        /// Confidence, 0–1.
        confidence: f64 = "confidence",
        /// Why.
        justification: String = "justification",
    }
}

lenient_struct! {
    /// An entity (or a location: an entity with `locationType`).
    pub struct Entity {
        /// Id.
        id: String = "id",
        /// Name.
        name: String = "name",
        /// Gloss items.
        description: Value = "description",
        /// Persona type assignments.
        type_assignments: Vec<TypeAssignment> = "typeAssignments",
        /// Alternate names, external ids, properties.
        metadata: Value = "metadata",
        /// `point` or `extent` for locations.
        location_type: String = "locationType",
        /// `GPS`, `cartesian` or `relative`.
        coordinate_system: String = "coordinateSystem",
        /// Point coordinates.
        coordinates: Value = "coordinates",
        /// Extent boundary.
        boundary: Value = "boundary",
        /// Extent bounding box.
        bounding_box: Value = "boundingBox",
        /// Wikidata Q-id.
        wikidata_id: String = "wikidataId",
        /// Wikidata URL.
        wikidata_url: String = "wikidataUrl",
        /// `wikidata` or `persona`.
        imported_from: String = "importedFrom",
        /// ISO timestamp.
        imported_at: String = "importedAt",
        /// ISO timestamp.
        created_at: String = "createdAt",
        /// ISO timestamp.
        updated_at: String = "updatedAt",
    }
}

lenient_struct! {
    /// An entity filling a role in an event.
    pub struct EventParticipant {
        /// The entity.
        entity_id: String = "entityId",
        /// The role type.
        role_type_id: String = "roleTypeId",
    }
}

lenient_struct! {
    /// A persona's interpretation of an event.
    pub struct EventInterpretation {
        /// The persona.
        persona_id: String = "personaId",
        /// The event type.
        event_type_id: String = "eventTypeId",
        /// Participants.
        participants: Vec<EventParticipant> = "participants",
        /// Confidence, 0–1.
        confidence: f64 = "confidence",
        /// Why.
        justification: String = "justification",
    }
}

lenient_struct! {
    /// An event.
    pub struct Event {
        /// Id.
        id: String = "id",
        /// Name.
        name: String = "name",
        /// Gloss items.
        description: Value = "description",
        /// Persona interpretations.
        persona_interpretations: Vec<EventInterpretation> = "personaInterpretations",
        /// Certainty and properties.
        metadata: Value = "metadata",
        /// When.
        time: Value = "time",
        /// Where.
        location: Value = "location",
        /// Wikidata Q-id.
        wikidata_id: String = "wikidataId",
        /// Wikidata URL.
        wikidata_url: String = "wikidataUrl",
        /// `wikidata` or `persona`.
        imported_from: String = "importedFrom",
        /// ISO timestamp.
        imported_at: String = "importedAt",
        /// ISO timestamp.
        created_at: String = "createdAt",
        /// ISO timestamp.
        updated_at: String = "updatedAt",
    }
}

lenient_struct! {
    /// A time: an instant or an interval, possibly vague or deictic.
    pub struct Time {
        /// Id.
        id: String = "id",
        /// `instant` or `interval`.
        kind: String = "type",
        /// Label.
        label: String = "label",
        /// Instant timestamp.
        timestamp: String = "timestamp",
        /// Interval start.
        start_time: String = "startTime",
        /// Interval end.
        end_time: String = "endTime",
        /// Anchors in videos.
        video_references: Value = "videoReferences",
        /// Vagueness.
        vagueness: Value = "vagueness",
        /// Deictic anchoring.
        deictic: Value = "deictic",
        /// Certainty.
        certainty: Value = "certainty",
        /// Metadata.
        metadata: Value = "metadata",
        /// ISO timestamp.
        created_at: String = "createdAt",
        /// ISO timestamp.
        updated_at: String = "updatedAt",
    }
}

lenient_struct! {
    /// A collection of entities.
    pub struct EntityCollection {
        /// Id.
        id: String = "id",
        /// Name.
        name: String = "name",
        /// Gloss items.
        description: Value = "description",
        /// Member entities.
        entity_ids: Vec<String> = "entityIds",
        /// `group`, `kind`, `functional`, `stage`, `portion` or `variant`.
        collection_type: String = "collectionType",
        /// Persona type assignments.
        type_assignments: Vec<TypeAssignment> = "typeAssignments",
        /// Homogeneity, order, mereology.
        aggregate_properties: Value = "aggregateProperties",
        /// Metadata.
        metadata: Value = "metadata",
        /// ISO timestamp.
        created_at: String = "createdAt",
        /// ISO timestamp.
        updated_at: String = "updatedAt",
    }
}

lenient_struct! {
    /// A collection of events.
    pub struct EventCollection {
        /// Id.
        id: String = "id",
        /// Name.
        name: String = "name",
        /// Gloss items.
        description: Value = "description",
        /// Member events.
        event_ids: Vec<String> = "eventIds",
        /// `sequence`, `iteration`, `complex`, `alternative` or `group`.
        collection_type: String = "collectionType",
        /// Persona type assignments.
        type_assignments: Vec<TypeAssignment> = "typeAssignments",
        /// The time collection it follows.
        time_collection_id: String = "timeCollectionId",
        /// Structure tree.
        structure: Value = "structure",
        /// Metadata.
        metadata: Value = "metadata",
        /// ISO timestamp.
        created_at: String = "createdAt",
        /// ISO timestamp.
        updated_at: String = "updatedAt",
    }
}

lenient_struct! {
    /// A collection of times.
    pub struct TimeCollection {
        /// Id.
        id: String = "id",
        /// Name.
        name: String = "name",
        /// Description.
        description: Value = "description",
        /// Member times (inline).
        times: Vec<Time> = "times",
        /// `periodic`, `calendar`, `irregular`, `anchored` or `habitual`.
        collection_type: String = "collectionType",
        /// Recurrence rule.
        recurrence: Value = "recurrence",
        /// Habituality.
        habituality: Value = "habituality",
        /// Cycle.
        cycle: Value = "cycle",
        /// Metadata.
        metadata: Value = "metadata",
        /// ISO timestamp.
        created_at: String = "createdAt",
        /// ISO timestamp.
        updated_at: String = "updatedAt",
    }
}

lenient_struct! {
    /// A relation between two objects or types.
    pub struct OntologyRelation {
        /// Id.
        id: String = "id",
        /// The relation type.
        relation_type_id: String = "relationTypeId",
        /// Kind of the source.
        source_type: String = "sourceType",
        /// The source.
        source_id: String = "sourceId",
        /// Kind of the target.
        target_type: String = "targetType",
        /// The target.
        target_id: String = "targetId",
        /// Metadata.
        metadata: Value = "metadata",
        /// ISO timestamp.
        created_at: String = "createdAt",
        /// ISO timestamp.
        updated_at: String = "updatedAt",
    }
}

lenient_struct! {
    /// A video (front-end `VideoMetadata`; other yt-dlp fields are kept in `extra`).
    pub struct Video {
        /// Id: the first 16 hex characters of MD5 of the filename in FOVEA.
        id: String = "id",
        /// Title.
        title: String = "title",
        /// Description.
        description: String = "description",
        /// Duration in seconds.
        duration: f64 = "duration",
        /// Frame width in pixels.
        width: f64 = "width",
        /// Frame height in pixels.
        height: f64 = "height",
        /// Frame rate.
        fps: f64 = "fps",
        /// File name.
        filename: String = "filename",
        /// Path on the server.
        path: String = "path",
        /// File path.
        file_path: String = "filePath",
    }
}

lenient_struct! {
    /// The final `metadata` line of an export.
    pub struct ExportMetadata {
        /// ISO timestamp of the export.
        export_date: String = "exportDate",
        /// Format version (`1.0.0`).
        export_version: String = "exportVersion",
        /// Writer (`fovea <version>`).
        exported_by: String = "exportedBy",
        /// Annotation lines written.
        annotation_count: u64 = "annotationCount",
        /// Sequences written.
        sequence_count: u64 = "sequenceCount",
        /// Keyframe boxes written.
        keyframe_count: u64 = "keyframeCount",
        /// Interpolated boxes written.
        interpolated_frame_count: u64 = "interpolatedFrameCount",
    }
}
