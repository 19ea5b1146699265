-- Hand-written: agent coordination (issue 23, docs/COORDINATION.md).
-- Threads: a message may reply to another of its room by seq; the parent keeps its reply count and last reply time.
ALTER TABLE "messages" ADD COLUMN "reply_to_seq" bigint;
--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "reply_count" integer DEFAULT 0 NOT NULL;
--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "last_reply_at" timestamp with time zone;
--> statement-breakpoint
CREATE INDEX "messages_thread_idx" ON "messages" USING btree ("room_id", "reply_to_seq", "seq") WHERE "reply_to_seq" IS NOT NULL;
--> statement-breakpoint
-- Search: Postgres full-text search on both databases (PGlite ships the same dictionaries). Not in the Drizzle
-- schema on purpose: plain selects of messages never read it; the search repository names it.
ALTER TABLE "messages" ADD COLUMN "search_vector" tsvector GENERATED ALWAYS AS (to_tsvector('english', "body")) STORED;
--> statement-breakpoint
CREATE INDEX "messages_search_idx" ON "messages" USING gin ("search_vector");
--> statement-breakpoint
-- Direct conversations: a private room of two, found again by its participants' key.
ALTER TABLE "rooms" ADD COLUMN "kind" text DEFAULT 'room' NOT NULL;
--> statement-breakpoint
ALTER TABLE "rooms" ADD CONSTRAINT "rooms_kind_check" CHECK ("kind" in ('room', 'direct'));
--> statement-breakpoint
-- Sorted participants, e.g. 'agent:<uuid>|agent:<uuid>' or 'agent:<uuid>|user:<uuid>'.
ALTER TABLE "rooms" ADD COLUMN "direct_key" text;
--> statement-breakpoint
-- The person of an agent-and-person conversation (agents take part as members).
ALTER TABLE "rooms" ADD COLUMN "direct_user_id" uuid REFERENCES "users"("id") ON DELETE cascade;
--> statement-breakpoint
CREATE UNIQUE INDEX "rooms_direct_key_unique" ON "rooms" USING btree ("direct_key") WHERE "direct_key" IS NOT NULL;
--> statement-breakpoint
-- Who a message is addressed to (an @mention, an @room mention, a direct message), with its delivery state:
-- stored (row exists) -> delivered to a socket (delivered_at) -> acknowledged by the recipient (acknowledged_at).
CREATE TABLE "message_recipients" (
	"message_id" uuid NOT NULL REFERENCES "messages"("id") ON DELETE cascade,
	"room_id" uuid NOT NULL REFERENCES "rooms"("id") ON DELETE cascade,
	"seq" bigint NOT NULL,
	"agent_id" uuid REFERENCES "agents"("id") ON DELETE cascade,
	"user_id" uuid REFERENCES "users"("id") ON DELETE cascade,
	"reason" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"delivered_at" timestamp with time zone,
	"acknowledged_at" timestamp with time zone,
	-- The wake call that covered this message (agents with a wake hook and no live socket), set once.
	"wake_id" uuid,
	CONSTRAINT "message_recipients_reason_check" CHECK ("reason" in ('mention', 'room_mention', 'direct')),
	CONSTRAINT "message_recipients_one_recipient" CHECK (num_nonnulls("agent_id", "user_id") = 1)
);
--> statement-breakpoint
CREATE UNIQUE INDEX "message_recipients_agent_unique" ON "message_recipients" USING btree ("message_id", "agent_id") WHERE "agent_id" IS NOT NULL;
--> statement-breakpoint
CREATE UNIQUE INDEX "message_recipients_user_unique" ON "message_recipients" USING btree ("message_id", "user_id") WHERE "user_id" IS NOT NULL;
--> statement-breakpoint
CREATE INDEX "message_recipients_agent_inbox_idx" ON "message_recipients" USING btree ("agent_id", "created_at") WHERE "acknowledged_at" IS NULL;
--> statement-breakpoint
CREATE INDEX "message_recipients_user_inbox_idx" ON "message_recipients" USING btree ("user_id", "created_at") WHERE "acknowledged_at" IS NULL;
--> statement-breakpoint
CREATE INDEX "message_recipients_unwoken_idx" ON "message_recipients" USING btree ("created_at") WHERE "agent_id" IS NOT NULL AND "delivered_at" IS NULL AND "acknowledged_at" IS NULL AND "wake_id" IS NULL;
--> statement-breakpoint
-- Claims: a named resource of a room held by an agent (or a person) until it expires or is released.
-- The database arbitrates: a claim is taken in a transaction holding the room's advisory lock.
CREATE TABLE "room_claims" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"room_id" uuid NOT NULL REFERENCES "rooms"("id") ON DELETE cascade,
	"resource" text NOT NULL,
	"mode" text NOT NULL,
	"holder_agent_id" uuid REFERENCES "agents"("id") ON DELETE cascade,
	"holder_user_id" uuid REFERENCES "users"("id") ON DELETE cascade,
	"note" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"renewed_at" timestamp with time zone,
	"expires_at" timestamp with time zone NOT NULL,
	"released_at" timestamp with time zone,
	CONSTRAINT "room_claims_mode_check" CHECK ("mode" in ('exclusive', 'shared')),
	CONSTRAINT "room_claims_one_holder" CHECK (num_nonnulls("holder_agent_id", "holder_user_id") = 1)
);
--> statement-breakpoint
CREATE INDEX "room_claims_active_idx" ON "room_claims" USING btree ("room_id", "expires_at") WHERE "released_at" IS NULL;
--> statement-breakpoint
-- Wake hooks: an agent's outbound webhook, called when something addressed to it finds no live socket.
-- The secret (HMAC key) is stored AES-256-GCM encrypted, as notification channels' are.
CREATE TABLE "agent_wake_hooks" (
	"agent_id" uuid PRIMARY KEY NOT NULL REFERENCES "agents"("id") ON DELETE cascade,
	"url" text NOT NULL,
	"secret_enc" text NOT NULL,
	"wake_on_room_mentions" boolean DEFAULT false NOT NULL,
	"coalesce_seconds" integer DEFAULT 30 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
-- The wake outbox: one row per wake call (the messages it covers point at it by wake_id), leased by one sender.
CREATE TABLE "wake_outbox" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"agent_id" uuid NOT NULL REFERENCES "agents"("id") ON DELETE cascade,
	"payload" jsonb NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"lease_until" timestamp with time zone,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"delivered_at" timestamp with time zone,
	CONSTRAINT "wake_outbox_status_check" CHECK ("status" in ('pending', 'sending', 'delivered', 'failed'))
);
--> statement-breakpoint
CREATE INDEX "wake_outbox_due_idx" ON "wake_outbox" USING btree ("next_attempt_at") WHERE "status" in ('pending', 'sending');
--> statement-breakpoint
CREATE INDEX "wake_outbox_agent_idx" ON "wake_outbox" USING btree ("agent_id", "created_at");
