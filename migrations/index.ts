import type { Migration } from 'kysely';
import * as m0001 from './0001_accounts.ts';
import * as m0002 from './0002_records.ts';
import * as m0003 from './0003_files.ts';
import * as m0004 from './0004_sharing.ts';
import * as m0005 from './0005_audit.ts';
import * as m0006 from './0006_audit_append.ts';
import * as m0007 from './0007_session_labels.ts';
import * as m0008 from './0008_audit_addresses.ts';
import * as m0009 from './0009_teams.ts';
import * as m0010 from './0010_team_key_links.ts';
import * as m0011 from './0011_audit_append_many.ts';
import * as m0012 from './0012_audit_append_index_lookups.ts';

// Listed statically (not read from the folder) so the set is the same in every
// runtime and bundle. Names sort in the order they must run.
export const migrations: Record<string, Migration> = {
  '0001_accounts': m0001,
  '0002_records': m0002,
  '0003_files': m0003,
  '0004_sharing': m0004,
  '0005_audit': m0005,
  '0006_audit_append': m0006,
  '0007_session_labels': m0007,
  '0008_audit_addresses': m0008,
  '0009_teams': m0009,
  '0010_team_key_links': m0010,
  '0011_audit_append_many': m0011,
  '0012_audit_append_index_lookups': m0012,
};
