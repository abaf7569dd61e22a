import { sql, type Kysely } from 'kysely';

// [Note: audit appends] (server/src/audit/log.ts) explains why the append runs inside
// PostgreSQL: the log's lock is then held for PostgreSQL's own work and the commit, not
// across round trips to a busy Node process.
//
// audit_append(at, actor_id, action, outcome, record_id, file_id, before_index, before_prev,
// after_prev) takes the log's lock, gives the event the next index, links it to the previous
// event about the same record, builds the leaf
//     before_index ‖ u64be(index) ‖ before_prev ‖ field(prev) ‖ after_prev
// (docs/PROTOCOL.md "Events"; the caller encodes everything but index and prev), stores it
// with its leaf hash SHA-256(0x00 ‖ leaf) and every complete subtree hash
// SHA-256(0x01 ‖ left ‖ right) it finishes, and returns the index.
//
// The lock key is the one the earlier append in Node took (hashtext('tvault:audit-log')),
// so instances of both kinds serialise against each other during an upgrade.
//
// search_path puts pg_catalog first, so no object created in public can stand in for a
// built-in the function calls (sha256, hashtext, ||); tables are named with their schema.
// Byte literals are decode(…, 'hex'), which reads the same whatever standard_conforming_strings
// says. lock_timeout: the lock is normally held for a statement and a commit; a holder that
// never finishes (a stuck writer on another instance) makes appends fail after 10 s
// (SQLSTATE 55P03, answered as 503 VAULT_ERR_NOT_READY) instead of hanging every request.
const SIGNATURE = 'public.audit_append(timestamptz, uuid, text, text, uuid, uuid, bytea, bytea, bytea)';
const CREATE = sql`
create or replace function public.audit_append(
  p_at timestamptz, p_actor_id uuid, p_action text, p_outcome text, p_record_id uuid, p_file_id uuid,
  p_before_index bytea, p_before_prev bytea, p_after_prev bytea
) returns bigint
language plpgsql
volatile
set search_path = pg_catalog, public, pg_temp
set lock_timeout = '10s'
as $fn$
declare
  v_idx bigint;
  v_prev bytea;
  v_leaf bytea;
  v_hash bytea;
  v_left bytea;
  v_i bigint;
  v_level smallint := 0;
begin
  perform pg_advisory_xact_lock(hashtext('tvault:audit-log'));
  select coalesce(max(idx) + 1, 0) into v_idx from public.audit_events;
  if p_record_id is not null then
    select leaf_hash into v_prev from public.audit_events where record_id = p_record_id order by idx desc limit 1;
  end if;
  v_leaf := p_before_index || int8send(v_idx) || p_before_prev
    || case when v_prev is null then decode('00000000', 'hex') else decode('00000020', 'hex') || v_prev end
    || p_after_prev;
  v_hash := sha256(decode('00', 'hex') || v_leaf);
  insert into public.audit_events (idx, at, actor_id, action, outcome, record_id, file_id, leaf, leaf_hash)
    values (v_idx, p_at, p_actor_id, p_action, p_outcome, p_record_id, p_file_id, v_leaf, v_hash);
  insert into public.audit_nodes (level, idx, hash) values (0, v_idx, v_hash);
  -- The leaf completes the subtree of every level at which its index ends in a 1 bit.
  v_i := v_idx;
  while v_i % 2 = 1 loop
    select hash into strict v_left from public.audit_nodes where level = v_level and idx = v_i - 1;
    v_hash := sha256(decode('01', 'hex') || v_left || v_hash);
    v_i := (v_i - 1) / 2;
    v_level := v_level + 1;
    insert into public.audit_nodes (level, idx, hash) values (v_level, v_i, v_hash);
  end loop;
  return v_idx;
end
$fn$`;

export async function up(db: Kysely<unknown>): Promise<void> {
  await CREATE.execute(db);
  // Only the server's own role (the owner) calls it.
  await sql.raw(`revoke execute on function ${SIGNATURE} from public`).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql.raw(`drop function if exists ${SIGNATURE}`).execute(db);
}
