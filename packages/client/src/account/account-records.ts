import type { AttachmentPointer, EntityType } from "@volly/protocol";

/** The profile: who this device is and where its server is. Stored sealed under key `profile`. */
export interface ProfileRecord {
  /** The server's origin; with several URLs, the preferred one (the first of `serverUrls`). */
  serverUrl: string;
  /**
   * Every server origin of this profile's deployment (nodes to fail over between, see `HttpApi` and
   * `GatewayConnection`), the preferred one first; `serverUrls[0]` is `serverUrl`. Absent when the
   * profile has one URL. Read it through `profileServerUrls`.
   */
  serverUrls?: string[];
  /** The account's id (assigned by the server at registration). */
  accountId: string;
  /** This device's id (assigned by the server at registration or linking). */
  deviceId: string;
  /** The account's handle, without `@`. */
  handle: string;
  /** What the account is: a human, an agent, a service, a device (directory data). */
  entityType: EntityType;
  /** The name shown next to the handle, when the account set one. */
  displayName?: string;
  /** The account's avatar (an encrypted image attachment), when it set one. */
  avatar?: AttachmentPointer;
  /** The MLS ciphersuite of this device's key packages and groups (RFC 9420 §17.1 name). */
  ciphersuite: string;
  /** This device's Ed25519 public key, base64url (32 bytes). */
  signaturePublicKey: string;
  /** This device's Ed25519 private key, base64url: sealed at rest; never share or log it. */
  signaturePrivateKey: string;
  /** When the profile was created on this device (ms since the Unix epoch). */
  createdAt: number;
}

/** A key package's private half, kept until a Welcome uses it. Stored sealed under `kp:<ref>`. */
export interface KeyPackageRecord {
  ref: string;
  keyPackage: string;
  privateKeyPackage: string;
  lastResort: boolean;
}

/**
 * The account backup as this device keeps it (`account/recovery.ts`). Stored sealed under
 * `acct:backup`.
 */
export interface AccountBackupRecord {
  /** The backup's key (`accountBackupKey` of the recovery key, 32 bytes, base64url). */
  key: string;
  /** SHA-256 (base64url) of the account document state last uploaded, so an unchanged one is not sent again. */
  uploadedHash?: string;
}
