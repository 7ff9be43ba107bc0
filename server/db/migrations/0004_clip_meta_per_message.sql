ALTER TABLE "messages" ADD COLUMN "clip_title" text;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "clip_thumbnail_url" text;