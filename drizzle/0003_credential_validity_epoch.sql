-- Hand-written: drizzle-kit cannot express triggers.
-- One counter that moves, in the same transaction, with every change to what an access token's validity or
-- identity depends on (credentials.service.ts, credentialStatus): a credential revoked (a rotation keeps its
-- access tokens valid and does not move it), an agent's status or identity, an owner disabled or enabled,
-- any of them deleted. Instances cache credential checks and read the counter once a second, so a change
-- made by any instance reaches every instance within a second, with one lookup per instance per second
-- however large the fleet (docs/BENCHMARKS.md, 2026-12-07).
CREATE TABLE IF NOT EXISTS "credential_validity_epoch" (
	"id" integer PRIMARY KEY DEFAULT 1 CHECK ("id" = 1),
	"value" bigint NOT NULL DEFAULT 0
);
--> statement-breakpoint
INSERT INTO "credential_validity_epoch" ("id", "value") VALUES (1, 0) ON CONFLICT DO NOTHING;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION "bump_credential_validity_epoch"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE "credential_validity_epoch" SET "value" = "value" + 1 WHERE "id" = 1;
	RETURN NULL;
END $$;
--> statement-breakpoint
CREATE OR REPLACE TRIGGER "credentials_validity_epoch_update" AFTER UPDATE ON "credentials" FOR EACH ROW
	WHEN ((OLD."revoked_at" IS NULL OR OLD."revoked_reason" = 'rotated') IS DISTINCT FROM (NEW."revoked_at" IS NULL OR NEW."revoked_reason" = 'rotated')
		OR OLD."agent_id" IS DISTINCT FROM NEW."agent_id")
	EXECUTE FUNCTION "bump_credential_validity_epoch"();
--> statement-breakpoint
CREATE OR REPLACE TRIGGER "credentials_validity_epoch_delete" AFTER DELETE ON "credentials" FOR EACH STATEMENT
	EXECUTE FUNCTION "bump_credential_validity_epoch"();
--> statement-breakpoint
CREATE OR REPLACE TRIGGER "agents_validity_epoch_update" AFTER UPDATE ON "agents" FOR EACH ROW
	WHEN (OLD."status" IS DISTINCT FROM NEW."status" OR OLD."name" IS DISTINCT FROM NEW."name"
		OR OLD."owner_id" IS DISTINCT FROM NEW."owner_id" OR OLD."team_id" IS DISTINCT FROM NEW."team_id"
		OR OLD."server_id" IS DISTINCT FROM NEW."server_id" OR OLD."role" IS DISTINCT FROM NEW."role")
	EXECUTE FUNCTION "bump_credential_validity_epoch"();
--> statement-breakpoint
CREATE OR REPLACE TRIGGER "agents_validity_epoch_delete" AFTER DELETE ON "agents" FOR EACH STATEMENT
	EXECUTE FUNCTION "bump_credential_validity_epoch"();
--> statement-breakpoint
CREATE OR REPLACE TRIGGER "users_validity_epoch_update" AFTER UPDATE ON "users" FOR EACH ROW
	WHEN ((OLD."disabled_at" IS NULL) IS DISTINCT FROM (NEW."disabled_at" IS NULL))
	EXECUTE FUNCTION "bump_credential_validity_epoch"();
--> statement-breakpoint
CREATE OR REPLACE TRIGGER "users_validity_epoch_delete" AFTER DELETE ON "users" FOR EACH STATEMENT
	EXECUTE FUNCTION "bump_credential_validity_epoch"();
