import { sql, type Kysely } from 'kysely';

// [Note: audit appends] (server/src/audit/log.ts): audit_append_many appends several events
// with one turn of the log's lock, exactly as as many calls of audit_append
// (0006_audit_append.ts) in the same order would: the same indices, the same leaves
// (`before_index ‖ u64be(index) ‖ before_prev ‖ field(prev) ‖ after_prev`), the same chain
// (an event about a record links to the newest earlier event about it, earlier in the same
// batch included) and the same subtree hashes. What it saves is per-event work: one lock, one
// read of the size, one query for the previous events of every record named, and two
// multi-row inserts, where audit_append did all of it once per event (docs/PERFORMANCE.md,
// "Listing": a listing page of 200 records appends 200 read events).
//
// Arguments are arrays, element n describing event n; `p_at` is one time for all of them (a
// statement's events share it, as they did before). Returns the index of the first event; the
// others follow without gaps. Empty arrays append nothing and return null. Arrays of unequal
// length are refused (22023) before anything is written.
//
// Subtree hashes: a node is a left child exactly when its index is even, and the left sibling
// a new node needs is the newest even-indexed node of its level. Those made in this batch are
// kept in memory; an older one is read from audit_nodes (at most one per level per batch).
//
// The previous event is looked up in the order of audit_events_record_idx (record_id, idx):
// ordered by idx alone, a planner whose statistics were taken while the log was small walks
// the primary key backwards, filtering on the record, through the whole log for a record
// it has never seen.
//
// Same settings as audit_append: pg_catalog first on the search path, byte literals by
// decode(), the same lock key and lock_timeout.
const SIGNATURE = 'public.audit_append_many(timestamptz, uuid[], text[], text[], uuid[], uuid[], bytea[], bytea[], bytea[])';
const CREATE = sql`
create or replace function public.audit_append_many(
  p_at timestamptz, p_actor_id uuid[], p_action text[], p_outcome text[], p_record_id uuid[], p_file_id uuid[],
  p_before_index bytea[], p_before_prev bytea[], p_after_prev bytea[]
) returns bigint
language plpgsql
volatile
set search_path = pg_catalog, public, pg_temp
set lock_timeout = '10s'
as $fn$
declare
  v_count int := coalesce(cardinality(p_action), 0);
  v_first bigint;
  v_stored_prev bytea[];
  v_earlier int[];
  v_leaf bytea[];
  v_leaf_hash bytea[];
  v_node_level smallint[];
  v_node_idx bigint[];
  v_node_hash bytea[];
  v_nodes int := 0;
  v_even_idx bigint[] := '{}';
  v_even_hash bytea[] := '{}';
  v_prev bytea;
  v_hash bytea;
  v_left bytea;
  v_i bigint;
  v_level int;
begin
  if v_count = 0 then
    return null;
  end if;
  if coalesce(cardinality(p_actor_id), 0) <> v_count or coalesce(cardinality(p_outcome), 0) <> v_count
    or coalesce(cardinality(p_record_id), 0) <> v_count or coalesce(cardinality(p_file_id), 0) <> v_count
    or coalesce(cardinality(p_before_index), 0) <> v_count or coalesce(cardinality(p_before_prev), 0) <> v_count
    or coalesce(cardinality(p_after_prev), 0) <> v_count then
    raise exception 'audit_append_many: arrays of unequal length' using errcode = '22023';
  end if;
  perform pg_advisory_xact_lock(hashtext('tvault:audit-log'));
  select coalesce(max(idx) + 1, 0) into v_first from public.audit_events;
  -- Per event: the newest event about its record already in the log, and the position in
  -- this batch of the previous event about the same record (which then comes first).
  select array_agg(s.leaf_hash order by u.n), array_agg(u.earlier order by u.n) into v_stored_prev, v_earlier
  from (
    select t.n, t.rid, case when t.rid is null then null else lag(t.n) over (partition by t.rid order by t.n) end as earlier
    from unnest(p_record_id) with ordinality as t(rid, n)
  ) u
  left join lateral (
    select e.leaf_hash from public.audit_events e
    where u.rid is not null and u.earlier is null and e.record_id = u.rid
    order by e.record_id desc, e.idx desc limit 1
  ) s on true;
  for n in 1 .. v_count loop
    v_prev := case when v_earlier[n] is null then v_stored_prev[n] else v_leaf_hash[v_earlier[n]] end;
    v_leaf[n] := p_before_index[n] || int8send(v_first + n - 1) || p_before_prev[n]
      || case when v_prev is null then decode('00000000', 'hex') else decode('00000020', 'hex') || v_prev end
      || p_after_prev[n];
    v_hash := sha256(decode('00', 'hex') || v_leaf[n]);
    v_leaf_hash[n] := v_hash;
    v_i := v_first + n - 1;
    v_level := 0;
    v_nodes := v_nodes + 1;
    v_node_level[v_nodes] := 0;
    v_node_idx[v_nodes] := v_i;
    v_node_hash[v_nodes] := v_hash;
    -- The leaf completes the subtree of every level at which its index ends in a 1 bit.
    while v_i % 2 = 1 loop
      if v_even_idx[v_level] = v_i - 1 then
        v_left := v_even_hash[v_level];
      else
        select hash into strict v_left from public.audit_nodes where level = v_level and idx = v_i - 1;
      end if;
      v_hash := sha256(decode('01', 'hex') || v_left || v_hash);
      v_i := (v_i - 1) / 2;
      v_level := v_level + 1;
      v_nodes := v_nodes + 1;
      v_node_level[v_nodes] := v_level;
      v_node_idx[v_nodes] := v_i;
      v_node_hash[v_nodes] := v_hash;
    end loop;
    -- An even index: the left sibling of the next node of this level.
    v_even_idx[v_level] := v_i;
    v_even_hash[v_level] := v_hash;
  end loop;
  insert into public.audit_events (idx, at, actor_id, action, outcome, record_id, file_id, leaf, leaf_hash)
    select v_first + t.n - 1, p_at, t.actor_id, t.action, t.outcome, t.record_id, t.file_id, t.leaf, t.leaf_hash
    from unnest(p_actor_id, p_action, p_outcome, p_record_id, p_file_id, v_leaf, v_leaf_hash)
      with ordinality as t(actor_id, action, outcome, record_id, file_id, leaf, leaf_hash, n);
  insert into public.audit_nodes (level, idx, hash)
    select t.level, t.idx, t.hash from unnest(v_node_level, v_node_idx, v_node_hash) as t(level, idx, hash);
  return v_first;
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
