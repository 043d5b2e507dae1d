-- FOVEA's tables as its Prisma migrations leave them (spec §5), with Prisma's bookkeeping
-- table: what fovea meets when pointed at an existing FOVEA database.
CREATE TABLE "_prisma_migrations" (
    "id" VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum" VARCHAR(64) NOT NULL,
    "finished_at" TIMESTAMPTZ,
    "migration_name" VARCHAR(255) NOT NULL,
    "logs" TEXT,
    "rolled_back_at" TIMESTAMPTZ,
    "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count" INTEGER NOT NULL DEFAULT 0
);
INSERT INTO "_prisma_migrations" ("id", "checksum", "migration_name", "finished_at", "applied_steps_count")
VALUES ('0c6d', 'x', '20250930213306_init', now(), 1),
       ('9f1e', 'y', '20251124212038_add_performance_indexes', now(), 1);

CREATE TABLE "users" ("id" TEXT NOT NULL, "username" TEXT NOT NULL, "email" TEXT, "passwordHash" TEXT,
    "displayName" TEXT NOT NULL, "isAdmin" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP, "updatedAt" TIMESTAMP(3) NOT NULL,
    CONSTRAINT "users_pkey" PRIMARY KEY ("id"));
CREATE UNIQUE INDEX "users_username_key" ON "users"("username");
CREATE UNIQUE INDEX "users_email_key" ON "users"("email");

CREATE TABLE "personas" ("id" TEXT NOT NULL, "userId" TEXT NOT NULL, "name" TEXT NOT NULL, "role" TEXT NOT NULL,
    "informationNeed" TEXT NOT NULL, "details" TEXT, "isSystemGenerated" BOOLEAN NOT NULL DEFAULT false,
    "hidden" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP, "updatedAt" TIMESTAMP(3) NOT NULL,
    CONSTRAINT "personas_pkey" PRIMARY KEY ("id"));

CREATE TABLE "ontologies" ("id" TEXT NOT NULL, "personaId" TEXT NOT NULL,
    "entityTypes" JSONB NOT NULL DEFAULT '[]', "eventTypes" JSONB NOT NULL DEFAULT '[]',
    "roleTypes" JSONB NOT NULL DEFAULT '[]', "relationTypes" JSONB NOT NULL DEFAULT '[]',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP, "updatedAt" TIMESTAMP(3) NOT NULL,
    CONSTRAINT "ontologies_pkey" PRIMARY KEY ("id"));
CREATE UNIQUE INDEX "ontologies_personaId_key" ON "ontologies"("personaId");

CREATE TABLE "world_state" ("id" TEXT NOT NULL, "userId" TEXT NOT NULL,
    "entities" JSONB NOT NULL DEFAULT '[]', "events" JSONB NOT NULL DEFAULT '[]', "times" JSONB NOT NULL DEFAULT '[]',
    "entityCollections" JSONB NOT NULL DEFAULT '[]', "eventCollections" JSONB NOT NULL DEFAULT '[]',
    "timeCollections" JSONB NOT NULL DEFAULT '[]', "relations" JSONB NOT NULL DEFAULT '[]',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP, "updatedAt" TIMESTAMP(3) NOT NULL,
    CONSTRAINT "world_state_pkey" PRIMARY KEY ("id"));
CREATE UNIQUE INDEX "world_state_userId_key" ON "world_state"("userId");

CREATE TABLE "videos" ("id" TEXT NOT NULL, "filename" TEXT NOT NULL, "path" TEXT NOT NULL,
    "duration" DOUBLE PRECISION, "frameRate" DOUBLE PRECISION, "resolution" TEXT, "metadata" JSONB,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP, "updatedAt" TIMESTAMP(3) NOT NULL,
    "localThumbnailPath" TEXT, "lastMetadataSync" TIMESTAMP(3), "sourcePlatform" TEXT,
    "platformVideoId" TEXT, "metadataSyncStatus" TEXT,
    CONSTRAINT "videos_pkey" PRIMARY KEY ("id"));
CREATE UNIQUE INDEX "videos_filename_key" ON "videos"("filename");

CREATE TABLE "annotations" ("id" TEXT NOT NULL, "videoId" TEXT NOT NULL, "personaId" TEXT NOT NULL,
    "type" TEXT NOT NULL, "label" TEXT NOT NULL, "frames" JSONB NOT NULL, "confidence" DOUBLE PRECISION,
    "source" TEXT NOT NULL DEFAULT 'manual',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP, "updatedAt" TIMESTAMP(3) NOT NULL,
    CONSTRAINT "annotations_pkey" PRIMARY KEY ("id"));
CREATE INDEX "annotations_videoId_idx" ON "annotations"("videoId");
CREATE INDEX "annotations_personaId_idx" ON "annotations"("personaId");
CREATE INDEX "annotations_videoId_personaId_idx" ON "annotations"("videoId", "personaId");
CREATE INDEX "annotations_createdAt_idx" ON "annotations"("createdAt");

CREATE TABLE "import_history" ("id" TEXT NOT NULL, "filename" TEXT NOT NULL, "importedBy" TEXT,
    "importOptions" JSONB NOT NULL, "result" JSONB NOT NULL, "success" BOOLEAN NOT NULL,
    "itemsImported" INTEGER NOT NULL, "itemsSkipped" INTEGER NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "import_history_pkey" PRIMARY KEY ("id"));

ALTER TABLE "personas" ADD CONSTRAINT "personas_userId_fkey" FOREIGN KEY ("userId") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "ontologies" ADD CONSTRAINT "ontologies_personaId_fkey" FOREIGN KEY ("personaId") REFERENCES "personas"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "world_state" ADD CONSTRAINT "world_state_userId_fkey" FOREIGN KEY ("userId") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "annotations" ADD CONSTRAINT "annotations_videoId_fkey" FOREIGN KEY ("videoId") REFERENCES "videos"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "annotations" ADD CONSTRAINT "annotations_personaId_fkey" FOREIGN KEY ("personaId") REFERENCES "personas"("id") ON DELETE CASCADE ON UPDATE CASCADE;
