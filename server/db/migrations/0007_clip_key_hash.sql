ALTER TABLE "clips" ADD COLUMN "key_hash" text;--> statement-breakpoint
-- Existing clips get the same hash the server computes on insert (server/clips/store.ts):
-- hex SHA-256 of `site:clipId` in UTF-8. sha256() is core PostgreSQL (and PGlite), not pgcrypto.
UPDATE "clips" SET "key_hash" = encode(sha256(convert_to("site" || ':' || "clip_id", 'UTF8')), 'hex');--> statement-breakpoint
ALTER TABLE "clips" ALTER COLUMN "key_hash" SET NOT NULL;--> statement-breakpoint
CREATE INDEX "clips_key_hash_idx" ON "clips" USING btree ("key_hash" text_pattern_ops);
