import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

// One interface per table; the server stores ciphertext, public keys and metadata only.

type CreatedAt = ColumnType<Date, Date | undefined, never>;

export interface AccountTable {
  id: Generated<string>;
  handle: string;
  is_admin: boolean;
  kdf_algorithm: string;
  kdf_salt: Buffer;
  kdf_ops_limit: number;
  kdf_mem_limit: number;
  login_verifier: string;
  wrapped_master_key: Buffer;
  recovery_verifier: string;
  recovery_wrapped_master_key: Buffer;
  sign_public_key: Buffer;
  box_public_key: Buffer;
  identity_signature: Buffer;
  wrapped_private_keys: Buffer;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface SessionTable {
  id: Generated<string>;
  account_id: string;
  token_hash: Buffer;
  /** The client's encrypted label (docs/PROTOCOL.md "Session labels"), or null until it sets one. */
  label: Buffer | null;
  created_at: CreatedAt;
  last_used_at: ColumnType<Date, Date | undefined, Date>;
  expires_at: Date;
}

export interface InviteTable {
  id: Generated<string>;
  code_hash: Buffer;
  created_by: string;
  created_at: CreatedAt;
  expires_at: Date;
  used_at: Date | null;
  used_by: string | null;
}

export interface ServerSecretTable {
  name: string;
  value: Buffer;
}

export interface RecordTable {
  id: string;
  owner_id: string;
  current_version: number;
  current_key_version: number;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface RecordVersionTable {
  record_id: string;
  version: number;
  key_version: number;
  author_id: string;
  body: Buffer;
  signature: Buffer;
  created_at: CreatedAt;
}

export interface RecordKeyTable {
  record_id: string;
  key_version: number;
  recipient_id: string;
  sealed_key: Buffer;
  created_at: CreatedAt;
}

export interface FileTable {
  id: string;
  record_id: string;
  owner_id: string;
  chunk_size: number;
  part_chunks: number;
  header: Buffer;
  wrapped_key: Buffer;
  declared_size: number | null;
  stored_bytes: ColumnType<number, number | undefined, number>;
  total_chunks: number | null;
  completed_at: Date | null;
  created_at: CreatedAt;
  expires_at: Date | null;
}

export interface FileChunkTable {
  file_id: string;
  idx: number;
  data: Buffer;
}

export interface ContactListTable {
  account_id: string;
  version: number;
  body: Buffer;
  signature: Buffer;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface GrantTable {
  id: Generated<string>;
  record_id: string;
  grantee_id: string;
  granted_by: string;
  grantee_sign_public_key: Buffer;
  grantee_box_public_key: Buffer;
  key_version: number;
  granted_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
  signature: Buffer;
}

export interface AuditEventTable {
  // bigint: node-postgres returns text, PGlite a number; read it through Number().
  idx: ColumnType<string | number, number, never>;
  at: Date;
  actor_id: string | null;
  action: string;
  outcome: string;
  record_id: string | null;
  file_id: string | null;
  leaf: Buffer;
  leaf_hash: Buffer;
}

/** An event's client address and the opening of its leaf's commitment, until the retention time ends. */
export interface AuditAddressTable {
  idx: ColumnType<string | number, number, never>;
  at: Date;
  address: string;
  opening: Buffer;
}

export interface AuditNodeTable {
  level: number;
  // bigint: node-postgres returns text, PGlite a number; read it through Number().
  idx: ColumnType<string | number, number, never>;
  hash: Buffer;
}

export interface Database {
  accounts: AccountTable;
  sessions: SessionTable;
  invites: InviteTable;
  server_secrets: ServerSecretTable;
  records: RecordTable;
  record_versions: RecordVersionTable;
  record_keys: RecordKeyTable;
  files: FileTable;
  file_chunks: FileChunkTable;
  contact_lists: ContactListTable;
  grants: GrantTable;
  audit_events: AuditEventTable;
  audit_nodes: AuditNodeTable;
  audit_addresses: AuditAddressTable;
  // Teams (migrations/0009_teams.ts)
  teams: { id: string; head_seq: number; head_hash: ColumnType<Buffer, Buffer | undefined, Buffer>; created_at: CreatedAt };
  team_statements: { team_id: string; seq: number; body: string; signature: Buffer; case_key_list: Buffer | null; created_at: CreatedAt };
  team_members: { team_id: string; account_id: string; role: string };
  team_cases: { team_id: string; case_id: string; current_epoch: number };
  team_reviewers: { team_id: string; case_id: string; account_id: string; expires_at: Date | null };
  team_keys: { team_id: string; team_epoch: number; account_id: string; sealed: Buffer };
  team_case_keys: { team_id: string; case_id: string; case_epoch: number; team_epoch: number; wrapped: Buffer };
  team_case_key_links: { team_id: string; case_id: string; case_epoch: number; wrapped: Buffer };
  team_share_keys: { team_id: string; case_id: string; case_epoch: number; account_id: string; sealed: Buffer };
  team_records: { id: string; team_id: string; case_id: string; current_version: number; updated_at: ColumnType<Date, Date | undefined, Date> };
  team_record_versions: {
    record_id: string; version: number; case_epoch: number; chain_seq: number; chain_head: Buffer; author_id: string;
    wrapped_key: Buffer; body: Buffer; signature: Buffer; created_at: CreatedAt;
  };
}

export type Account = Selectable<AccountTable>;
export type NewAccount = Insertable<AccountTable>;
export type Session = Selectable<SessionTable>;
