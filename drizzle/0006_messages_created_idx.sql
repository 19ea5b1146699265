-- Hand-written: search ranks only the newest SEARCH_RANK_WINDOW matches of a caller who reads many messages (a server
-- admin: every room), found newest first by walking this index backwards (docs/COORDINATION.md#search,
-- docs/BENCHMARKS.md#search). id breaks ties between messages of the same microsecond, so the window is a total order.
CREATE INDEX "messages_created_idx" ON "messages" USING btree ("created_at","id");
