/**
 * CONTRACT FILE — the public surface of @volly/crypto. Implementations live in the other files of
 * this package; this file only holds the shared types.
 */

/** A device's Ed25519 signature key pair (RFC 8032). Also the key its MLS credential carries. */
export interface DeviceIdentity {
  /** 32 bytes. */
  signaturePublicKey: Uint8Array;
  /** 32-byte seed. Secret. */
  signaturePrivateKey: Uint8Array;
}

/** Who a leaf is, as carried in its MLS basic credential (RFC 9420 §5.3). */
export interface CredentialIdentity {
  accountId: string;
  deviceId: string;
}

/** A freshly generated key package: the public part to upload, the private part to keep (sealed). */
export interface GeneratedKeyPackage {
  /** Encoded MLSMessage (wireformat mls_key_package), ready to upload. */
  keyPackage: Uint8Array;
  /** Opaque encoding of the private keys (init, HPKE, signature). Secret: store sealed. */
  privateKeyPackage: Uint8Array;
  /** KeyPackageRef (RFC 9420 §5.2), base64url: how a Welcome names the package it was made for. */
  ref: string;
}

/** What the server (or a client) may learn of a key package after verifying its signature. */
export interface KeyPackageInfo {
  ref: string;
  ciphersuite: string;
  /** base64url Ed25519 public key of the leaf (must equal the uploading device's key). */
  signaturePublicKey: string;
  credential: CredentialIdentity;
}

/** One member leaf of a group. */
export interface GroupMember {
  leafIndex: number;
  credential: CredentialIdentity;
  /** base64url Ed25519 public key. */
  signaturePublicKey: string;
}

/** Result of a commit that adds members. `epoch` is the epoch the commit was created in. */
export interface AddMembersResult {
  /** Opaque new group state; adopt it only once the delivery service has accepted the commit. */
  newGroup: MlsGroup;
  commit: Uint8Array;
  welcome: Uint8Array;
  ratchetTree: Uint8Array;
  epoch: number;
}

/**
 * Result of a commit that removes members (RFC 9420 §12.1.3). `epoch` is the epoch the commit was
 * created in.
 */
export interface RemoveMembersResult {
  /** Opaque new group state; adopt it only once the delivery service has accepted the commit. */
  newGroup: MlsGroup;
  commit: Uint8Array;
  /** The new epoch's ratchet tree, to be served out of band (RFC 9420 §12.4.3.3). */
  ratchetTree: Uint8Array;
  epoch: number;
  /** The removed leaves as they were before the commit (their device ids go to the server). */
  removed: GroupMember[];
}

/** Result of processing one incoming MLS message. */
export type ProcessedMessage =
  | { kind: "application"; newGroup: MlsGroup; plaintext: Uint8Array; sender: CredentialIdentity }
  | { kind: "commit"; newGroup: MlsGroup; sender: CredentialIdentity | undefined };

/** Why an incoming message could not be decrypted; counted by clients (Element's UTD telemetry). */
export type DecryptFailureCause =
  | "wrong-epoch"
  | "missing-state"
  | "bad-signature"
  | "malformed"
  | "wrong-group"
  | "other";

/**
 * An MLS group state (RFC 9420 client state) held by one device. Opaque outside @volly/crypto;
 * persist it with encodeGroup/decodeGroup, always sealed.
 */
export interface MlsGroup {
  readonly __brand: "MlsGroup";
}
