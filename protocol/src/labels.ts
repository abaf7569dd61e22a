// [Note: labels]
// Every key derivation context, associated data and signed statement starts with a
// versioned label, so a value made for one purpose can never be accepted for another,
// and a future format (v2) cannot be confused with this one. docs/PROTOCOL.md lists them.

export const LABEL = {
  masterKeyWrapPassphrase: 'tvault/v1/master-key/passphrase',
  masterKeyWrapRecovery: 'tvault/v1/master-key/recovery',
  privateKeys: 'tvault/v1/private-keys',
  identity: 'tvault/v1/identity',
  fingerprint: 'tvault/v1/fingerprint',
  recordBody: 'tvault/v1/record-body',
  recordKeySeal: 'tvault/v1/record-key',
  recordVersionSignature: 'tvault/v1/record-version',
  recordDeleteSignature: 'tvault/v1/record-delete',
  fileChunk: 'tvault/v1/file-chunk',
  fileKeyWrap: 'tvault/v1/file-key',
  fileKeyWrapCommitted: 'tvault/v1/file-key-committed',
  contactList: 'tvault/v1/contacts',
  contactListSignature: 'tvault/v1/contacts-signature',
  grantSignature: 'tvault/v1/grant',
  localState: 'tvault/v1/local-state',
  localStateName: 'tvault/v2/local-state/name',
  localStateValue: 'tvault/v2/local-state/value',
  kdfSalt: 'tvault/v2/kdf-salt',
  sessionLabel: 'tvault/v1/session-label',
  auditAddress: 'tvault/v1/audit-address',
  // [Note: redacted access] (docs/PROTOCOL.md "Redacted copies"). The three sealed-key
  // labels are as long as recordKeySeal, so every sealed key has one length
  // (SEALED_RECORD_KEY_BYTES) whatever it holds: the server cannot tell them apart.
  recordSeedSeal: 'tvault/v2/record-all',
  recordKeyOnlySeal: 'tvault/v2/record-key',
  recordKeyAbsentSeal: 'tvault/v2/key-absent',
  originalFileKey: 'tvault/v2/original-file-key',
  redactedGrantees: 'tvault/v2/redacted-grantees',
  // [Note: teams] (docs/PROTOCOL.md "Teams"): the chain of statements, key commitments, sealed
  // and wrapped team, case and record keys, team record bodies and signatures.
  teamStatement: 'tvault/v1/team-statement',
  teamKeyCommit: 'tvault/v1/team-key-commit',
  caseKeyCommit: 'tvault/v1/case-key-commit',
  teamKeySeal: 'tvault/v1/team-key',
  caseKeyWrap: 'tvault/v1/case-key',
  caseKeyShare: 'tvault/v1/case-key-share',
  caseKeyLink: 'tvault/v1/case-key-link',
  caseKeyList: 'tvault/v1/team-case-key-list',
  teamRecordKey: 'tvault/v1/team-record-key',
  teamRecordBody: 'tvault/v1/team-record-body',
  teamRecordVersion: 'tvault/v1/team-record-version',
} as const;

/** crypto_kdf contexts are exactly 8 bytes; the last character is the version. */
export const KDF_CONTEXT = {
  keyEncryptionKey: 'tv-kek-1',
  loginKey: 'tv-lgn-1',
  recoveryKeyEncryptionKey: 'tv-rkk-1',
  recoveryAuthKey: 'tv-rak-1',
  localStateKey: 'tv-lst-1',
  /** Subkeys of the local-state key: 1 names entries, 2 encrypts their values. */
  localStateSubkeys: 'tv-lss-2',
  /** Encrypts this account's session labels (the device names in the sessions list). */
  sessionLabelKey: 'tv-slb-1',
  /** Subkeys of a record key version's seed: 1 the record key, 2 the originals key. */
  recordSeed: 'tv-rsd-2',
} as const;

/** First byte of every self-describing envelope this version writes. */
export const ENVELOPE_V1 = 1;
