import { sql } from 'drizzle-orm';
import type { Database } from '../../src/db/client.js';
import { queryRows } from '../../src/db/client.js';

/**
 * Words of team chat between agents and people, most frequent first. A message draws each word with a skewed
 * distribution (index = n · u^2.5), so the first words are everywhere and the last are rare, as in real text.
 * Stop words lead: they take the top ranks and are not indexed, as in English.
 */
export const VOCABULARY = (
  'the to a and of is in it for on that with this we be at from i you are not was will have can ' +
  'error deploy build test failed server database request run job check fix update service api ' +
  'user config log timeout retry branch merge release staging production cache queue worker agent ' +
  'memory disk cpu network latency alert metric dashboard query index migration schema table row ' +
  'backup restore restart crash panic exception stack trace commit review pull issue ticket task ' +
  'file path module package dependency version upgrade rollback pipeline runner container image ' +
  'cluster node pod volume secret token credential session login permission role team room message ' +
  'thread reply mention inbox claim lock lease expire renew release window schedule cron nightly ' +
  'flaky slow fast green red passed broken blocked ready done started finished waiting pending ' +
  'report summary plan design proposal draft document spec benchmark profile trace sample histogram ' +
  'socket connection handshake proxy gateway balancer dns certificate tls http grpc json yaml parser ' +
  'compiler linter formatter typescript javascript python rust golang node bundle webpack vite ' +
  'frontend backend endpoint route handler controller repository model view template page component ' +
  'button form input field validation sanitize escape encode decode compress encrypt hash sign verify ' +
  'monday tuesday wednesday thursday friday morning evening tonight tomorrow yesterday weekend ' +
  'customer invoice payment refund order cart checkout shipping warehouse inventory supplier contract ' +
  'incident outage postmortem oncall pager escalation severity priority owner assignee reviewer ' +
  'replica primary failover quorum consensus partition shard vacuum analyze explain planner ' +
  'throughput bandwidth jitter packet firewall vpn subnet gateway router switch antenna satellite ' +
  'quasar nebula walrus platypus axolotl pangolin narwhal okapi quokka tardigrade'
).split(' ');

/** A word that none of the generated text uses, planted in one message in RARE_EVERY. */
export const RARE_WORD = 'kraken';
export const RARE_EVERY = 5000;

/**
 * `perRoom` messages in every room of `rooms`, in ONE insert ... select over generate_series, spread over the
 * last year. The GIN index is dropped first and built once after (what a restore would do); ANALYZE last.
 */
export async function fillMessages(database: Database, roomIds: string[], perRoom: number): Promise<void> {
  const total = roomIds.length * perRoom;
  await database.exec('drop index if exists messages_search_idx');
  const ids = roomIds.join(',');
  await database.db.execute(sql`
    with w as materialized (
      select string_to_array(${VOCABULARY.join(' ')}::text, ' ') as words, ${VOCABULARY.length}::int as len
    ), r (id, k) as (
      select id, k - 1 from unnest(string_to_array(${ids}::text, ',')::uuid[]) with ordinality as u(id, k)
    )
    insert into messages (room_id, seq, body, created_at)
    select r.id, g.n,
           (select string_agg(w.words[1 + s * 0 + floor(w.len * power(random(), 2.5))::int], ' ')
              from generate_series(1, 6 + ((g.n * 7 + r.k) % 19)) s)
           || case when (r.k * ${perRoom}::int + g.n) % ${RARE_EVERY}::int = 0 then ${` ${RARE_WORD}`}::text else '' end,
           now() - ((${total}::int - (r.k * ${perRoom}::int + g.n)) * interval '30 seconds')
    from r cross join w cross join generate_series(1, ${perRoom}::int) g(n)`);
  await database.db.execute(
    sql`update rooms set last_seq = ${perRoom}::int where id = any(string_to_array(${ids}::text, ',')::uuid[])`,
  );
  await database.exec('create index messages_search_idx on messages using gin (search_vector)');
  await database.exec('analyze messages');
  await database.exec('analyze rooms');
}

export async function countMessages(database: Database): Promise<number> {
  const [row] = await queryRows<{ n: string | number }>(database.db, sql`select count(*) as n from messages`);
  return Number(row?.n ?? 0);
}
