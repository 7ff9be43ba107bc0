-- A clip's title and thumbnail are kept per message (0004). What the shared row still holds was
-- set by whichever stranger shared the clip first: nothing reads it, and it is cleared here. The
-- columns stay, so a server still running the previous version keeps working during an upgrade.
UPDATE "clips" SET "title" = NULL, "thumbnail_url" = NULL
WHERE "title" IS NOT NULL OR "thumbnail_url" IS NOT NULL;
