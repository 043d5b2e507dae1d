-- Rows as FOVEA writes them (spec §5.3), in SQL both Postgres and SQLite run: a user and a
-- persona, a synced video (id = first 16 hex digits of MD5 of its filename, a sidecar in
-- metadata), an annotation saved by FOVEA's UI (layout A: the bare sequence), one imported
-- by FOVEA's importer (layout B: the whole annotation) and one in a legacy shape no reader
-- knows.
INSERT INTO "users" ("id", "username", "displayName", "updatedAt")
VALUES ('user-1', 'analyst', 'Analyst', '2025-10-01 10:00:00.000');
INSERT INTO "personas" ("id", "userId", "name", "role", "informationNeed", "details", "updatedAt")
VALUES ('persona-1', 'user-1', 'Maritime analyst', 'analyst', 'Vessel movements', NULL, '2025-10-01 10:00:00.000');
INSERT INTO "videos" ("id", "filename", "path", "duration", "frameRate", "metadata", "updatedAt")
VALUES ('6f34ae7440ec7ff7', 'harbour.mp4', '/videos/harbour.mp4', 12.5, 30,
        '{"width": 640, "height": 480, "title": "Harbour"}', '2025-10-01 10:00:00.000');
INSERT INTO "annotations" ("id", "videoId", "personaId", "type", "label", "frames", "confidence", "source", "createdAt", "updatedAt")
VALUES ('ui-1', '6f34ae7440ec7ff7', 'persona-1', 'type', 'vessel-type',
        '{"boxes": [{"x": 10, "y": 20, "width": 30, "height": 40, "frameNumber": 0, "isKeyframe": true}, {"x": 50, "y": 20, "width": 30, "height": 40, "frameNumber": 10, "isKeyframe": true}], "interpolationSegments": [{"startFrame": 0, "endFrame": 10, "type": "linear"}], "visibilityRanges": [{"startFrame": 0, "endFrame": 10, "visible": true}], "totalFrames": 11, "keyframeCount": 2, "interpolatedFrameCount": 9}',
        0.9, 'manual', '2025-10-01 10:00:00.000', '2025-10-01 10:00:00.000'),
       ('import-1', '6f34ae7440ec7ff7', 'persona-1', 'type', 'vessel-type',
        '{"id": "import-1", "videoId": "6f34ae7440ec7ff7", "annotationType": "type", "personaId": "persona-1", "typeCategory": "entity", "typeId": "vessel-type", "notes": "kept whole", "boundingBoxSequence": {"boxes": [{"x": 1, "y": 2, "width": 3, "height": 4, "frameNumber": 5, "isKeyframe": true}], "interpolationSegments": [], "visibilityRanges": [{"startFrame": 5, "endFrame": 5, "visible": true}], "totalFrames": 1, "keyframeCount": 1, "interpolatedFrameCount": 0}}',
        NULL, 'import', '2025-10-01 10:00:01.000', '2025-10-01 10:00:01.000'),
       ('legacy-1', '6f34ae7440ec7ff7', 'persona-1', 'type', 'vessel-type',
        '{"keyframes": [], "interpolationMode": "linear", "visibilityRanges": [[0, 100]]}',
        NULL, 'manual', '2025-10-01 10:00:02.000', '2025-10-01 10:00:02.000');
