CREATE TABLE "channel_claims" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"brand_id" uuid,
	"site" text NOT NULL,
	"handle" text NOT NULL,
	"code" text NOT NULL,
	"state" text DEFAULT 'pending' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"verified_at" timestamp with time zone,
	CONSTRAINT "channel_claims_state_known" CHECK ("channel_claims"."state" in ('pending', 'verified')),
	CONSTRAINT "channel_claims_site_known" CHECK ("channel_claims"."site" in ('tiktok', 'youtube', 'instagram'))
);
--> statement-breakpoint
CREATE TABLE "clip_channels" (
	"clip_ref" uuid PRIMARY KEY NOT NULL,
	"site" text NOT NULL,
	"handle" text NOT NULL,
	"source" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tag_requests" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"clip_ref" uuid NOT NULL,
	"product_id" uuid NOT NULL,
	"requested_by" uuid,
	"at_seconds" real,
	"state" text DEFAULT 'pending' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"responded_at" timestamp with time zone,
	CONSTRAINT "tag_requests_state_known" CHECK ("tag_requests"."state" in ('pending', 'accepted', 'declined'))
);
--> statement-breakpoint
ALTER TABLE "clip_products" ADD COLUMN "consent_by" uuid;--> statement-breakpoint
ALTER TABLE "products" ADD COLUMN "affiliate_bps" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "channel_claims" ADD CONSTRAINT "channel_claims_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "channel_claims" ADD CONSTRAINT "channel_claims_brand_id_brands_id_fk" FOREIGN KEY ("brand_id") REFERENCES "public"."brands"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "clip_channels" ADD CONSTRAINT "clip_channels_clip_ref_clips_id_fk" FOREIGN KEY ("clip_ref") REFERENCES "public"."clips"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tag_requests" ADD CONSTRAINT "tag_requests_clip_ref_clips_id_fk" FOREIGN KEY ("clip_ref") REFERENCES "public"."clips"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tag_requests" ADD CONSTRAINT "tag_requests_product_id_products_id_fk" FOREIGN KEY ("product_id") REFERENCES "public"."products"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tag_requests" ADD CONSTRAINT "tag_requests_requested_by_users_id_fk" FOREIGN KEY ("requested_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "channel_claims_code_idx" ON "channel_claims" USING btree ("code");--> statement-breakpoint
CREATE UNIQUE INDEX "channel_claims_claimant_idx" ON "channel_claims" USING btree ("site","handle","user_id",coalesce("brand_id", '00000000-0000-0000-0000-000000000000'::uuid));--> statement-breakpoint
CREATE UNIQUE INDEX "channel_claims_verified_idx" ON "channel_claims" USING btree ("site","handle") WHERE "channel_claims"."state" = 'verified';--> statement-breakpoint
CREATE INDEX "channel_claims_user_idx" ON "channel_claims" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "clip_channels_channel_idx" ON "clip_channels" USING btree ("site","handle");--> statement-breakpoint
CREATE UNIQUE INDEX "tag_requests_clip_product_idx" ON "tag_requests" USING btree ("clip_ref","product_id");--> statement-breakpoint
ALTER TABLE "clip_products" ADD CONSTRAINT "clip_products_consent_by_users_id_fk" FOREIGN KEY ("consent_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "products" ADD CONSTRAINT "products_affiliate_bps_range" CHECK ("products"."affiliate_bps" >= 0 and "products"."affiliate_bps" <= 5000);