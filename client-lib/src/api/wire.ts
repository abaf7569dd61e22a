// Shapes of the JSON the server speaks; bytes are base64url strings without padding.

export interface WireKdf {
  algorithm: string;
  salt: string;
  opsLimit: number;
  memLimit: number;
}

export interface WireIdentity {
  handle: string;
  signPublicKey: string;
  boxPublicKey: string;
  signature: string;
}

export interface WireAccount {
  id: string;
  handle: string;
  isAdmin: boolean;
}

export interface WireLogin {
  token: string;
  sessionId: string;
  expiresAt: string;
  account: WireAccount;
  keys: { wrappedMasterKey: string; wrappedPrivateKeys: string; identity: WireIdentity };
}

export interface WireSession {
  id: string;
  /** The encrypted label, base64url ([Note: session labels]). */
  label: string | null;
  createdAt: string;
  lastUsedAt: string;
  expiresAt: string;
  current: boolean;
}
