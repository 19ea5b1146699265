-- Hand-written: a claim of an exact resource decided in one statement (docs/adr/0019, docs/BENCHMARKS.md#coordination).
-- The function takes the room's claims lock (the same key as the claims repository's locked transaction), then reads
-- the live claims: a VOLATILE function's every query takes a fresh snapshot, so under the lock it sees every claim
-- decided before it. It answers one of:
--   'granted'  the new claim (one row);
--   'conflict' the live claims that hold the resource (one row each);
--   'full'     the room holds p_live_max live claims (no claim row);
--   'glob'     a live glob claim the resource might overlap: SQL can't compare globs, the caller decides in JS under
--              the same lock (no claim row).
-- Its columns are room_claims' own, plus the holder's name: a column added to room_claims is added here too.
CREATE FUNCTION "claim_exact_resource"(
	p_lock_space integer, p_room uuid, p_resource text, p_mode text, p_agent uuid, p_user uuid, p_note text,
	p_ttl_seconds integer, p_live_max integer
) RETURNS TABLE (
	outcome text, id uuid, room_id uuid, resource text, mode text, holder_agent_id uuid, holder_user_id uuid,
	note text, created_at timestamptz, renewed_at timestamptz, expires_at timestamptz, released_at timestamptz,
	holder_name text
) LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
DECLARE
	v_live integer;
	v_id uuid;
BEGIN
	PERFORM pg_advisory_xact_lock(p_lock_space, hashtext(p_room::text));
	IF EXISTS (
		SELECT 1 FROM room_claims c
		WHERE c.room_id = p_room AND c.released_at IS NULL AND c.expires_at > clock_timestamp()
			AND c.resource ~ '[*?]' AND (c.mode = 'exclusive' OR p_mode = 'exclusive')
	) THEN
		RETURN QUERY SELECT 'glob'::text, NULL::uuid, NULL::uuid, NULL::text, NULL::text, NULL::uuid, NULL::uuid,
			NULL::text, NULL::timestamptz, NULL::timestamptz, NULL::timestamptz, NULL::timestamptz, NULL::text;
		RETURN;
	END IF;
	RETURN QUERY
		SELECT 'conflict'::text, c.id, c.room_id, c.resource, c.mode, c.holder_agent_id, c.holder_user_id, c.note,
			c.created_at, c.renewed_at, c.expires_at, c.released_at, coalesce(a.name, u.name)
		FROM room_claims c
		LEFT JOIN agents a ON a.id = c.holder_agent_id
		LEFT JOIN users u ON u.id = c.holder_user_id
		WHERE c.room_id = p_room AND c.released_at IS NULL AND c.expires_at > clock_timestamp()
			AND c.resource = p_resource AND (c.mode = 'exclusive' OR p_mode = 'exclusive')
		ORDER BY c.created_at, c.id;
	IF FOUND THEN
		RETURN;
	END IF;
	SELECT count(*) INTO v_live FROM room_claims c
	WHERE c.room_id = p_room AND c.released_at IS NULL AND c.expires_at > clock_timestamp();
	IF v_live >= p_live_max THEN
		RETURN QUERY SELECT 'full'::text, NULL::uuid, NULL::uuid, NULL::text, NULL::text, NULL::uuid, NULL::uuid,
			NULL::text, NULL::timestamptz, NULL::timestamptz, NULL::timestamptz, NULL::timestamptz, NULL::text;
		RETURN;
	END IF;
	INSERT INTO room_claims AS c (room_id, resource, mode, holder_agent_id, holder_user_id, note, created_at, expires_at)
	VALUES (p_room, p_resource, p_mode, p_agent, p_user, p_note, clock_timestamp(),
		clock_timestamp() + make_interval(secs => p_ttl_seconds))
	RETURNING c.id INTO v_id;
	RETURN QUERY
		SELECT 'granted'::text, c.id, c.room_id, c.resource, c.mode, c.holder_agent_id, c.holder_user_id, c.note,
			c.created_at, c.renewed_at, c.expires_at, c.released_at, NULL::text
		FROM room_claims c WHERE c.id = v_id;
END;
$$;
