CREATE TABLE "member_periods" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"group_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"from_seq" integer NOT NULL,
	"to_seq" integer,
	"from_event_id" bigint DEFAULT 0 NOT NULL,
	"to_event_id" bigint
);
--> statement-breakpoint
ALTER TABLE "member_periods" ADD CONSTRAINT "member_periods_group_id_groups_id_fk" FOREIGN KEY ("group_id") REFERENCES "public"."groups"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "member_periods" ADD CONSTRAINT "member_periods_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "member_periods_group_user_idx" ON "member_periods" USING btree ("group_id","user_id","from_seq");--> statement-breakpoint
CREATE INDEX "member_periods_user_idx" ON "member_periods" USING btree ("user_id","to_event_id");--> statement-breakpoint
-- Today's members: one open span each, from their join. In groups, what was said before the
-- join (messages whose creation event precedes it) stays theirs to miss; in direct and brand
-- threads the whole thread is theirs, as before.
INSERT INTO "member_periods" ("group_id", "user_id", "from_seq", "from_event_id")
SELECT gm."group_id", gm."user_id",
  CASE WHEN g."kind" = 'group' THEN coalesce((
    SELECT max((e."payload"->>'seq')::int) FROM "events" e
    WHERE e."group_id" = gm."group_id" AND e."type" = 'message.created' AND e."id" < gm."joined_event_id"
  ), 0) ELSE 0 END,
  gm."joined_event_id"
FROM "group_members" gm JOIN "groups" g ON g."id" = gm."group_id";
