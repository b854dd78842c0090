import type { EntityType } from "@volly/protocol";

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
  accountId: string;
  deviceId: string;
  handle: string;
  entityType: EntityType;
  displayName?: string;
  ciphersuite: string;
  /** base64url Ed25519 key pair. */
  signaturePublicKey: string;
  signaturePrivateKey: string;
  createdAt: number;
}

/** A key package's private half, kept until a Welcome uses it. Stored sealed under `kp:<ref>`. */
export interface KeyPackageRecord {
  ref: string;
  keyPackage: string;
  privateKeyPackage: string;
  lastResort: boolean;
}
