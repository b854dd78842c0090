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

/**
 * A group's public state for one epoch: what the delivery service keeps per epoch and needs to verify
 * a commit made in it ({@link CommitEpochContext}) and to let a device rejoin (RFC 9420 §12.4.3.2).
 */
export interface PublicGroupState {
  /** The Volly group id (the MLS group_id is its UTF-8 bytes). */
  groupId: string;
  epoch: number;
  /** MLSMessage of wireformat mls_group_info with external_pub (RFC 9420 §12.4.3.1). */
  groupInfo: Uint8Array;
  /** The encoded ratchet tree (RFC 9420 §12.4.3.3). */
  ratchetTree: Uint8Array;
}

/**
 * What the delivery service passes to `inspectCommit`: the group's current epoch and that epoch's
 * stored GroupInfo and ratchet tree (as kept from the commit that created the epoch, or from
 * `createGroup` for epoch 0).
 */
export interface CommitEpochContext {
  /** The Volly group id; the commit's MLS group_id must be its UTF-8 bytes. */
  groupId: string;
  /** The group's current epoch at the delivery service: the one `groupInfo` and `ratchetTree` are of. */
  epoch: number;
  /** That epoch's ratchet tree, RFC 9420 §12.4.3.3 encoding, as stored. */
  ratchetTree: Uint8Array;
  /** That epoch's GroupInfo (MLSMessage, wireformat mls_group_info): carries the GroupContext (§8.1). */
  groupInfo: Uint8Array;
}

/**
 * Why the delivery service must refuse a commit (or the GroupInfo attached to it):
 * - "not-public-message": an MLSMessage, but not an mls_public_message carrying a commit (RFC 9420
 *   §6.2): a PrivateMessage, an application message, a standalone proposal, a Welcome…
 * - "wrong-group": its group_id is another group's;
 * - "wrong-epoch": it is for another epoch than the current one (`details.epoch`, `details.messageEpoch`);
 * - "unknown-sender": the sender is not a member leaf of the tree (blank, out of range, not a Volly
 *   credential), nor a new member committing externally;
 * - "bad-signature": the FramedContent (or GroupInfo) signature does not verify with the sender's
 *   signature key (RFC 9420 §6.1, §12.4.3);
 * - "malformed": not an MLSMessage, truncated or with trailing bytes, or contents Volly never sends
 *   (an external commit without an UpdatePath, a Remove of a blank leaf, an Add whose key package has
 *   no Volly credential, a GroupInfo without external_pub or not matching its tree).
 */
export type CommitRejectionCause =
  | "not-public-message"
  | "wrong-group"
  | "wrong-epoch"
  | "unknown-sender"
  | "bad-signature"
  | "malformed";

/** A device a commit adds, from the key package in its Add proposal (RFC 9420 §12.1.1). */
export interface AddedMember {
  credential: CredentialIdentity;
  /** base64url Ed25519 key of the key package's leaf. */
  signaturePublicKey: string;
  /**
   * KeyPackageRef (RFC 9420 §5.2), base64url. The key package's own signatures are not verified by
   * `inspectCommit` (members do that): compare the ref with the packages the directory handed out.
   */
  keyPackageRef: string;
}

/** What a commit does, as the delivery service may learn it from an mls_public_message. */
export interface CommitInspection {
  groupId: string;
  /** The epoch the commit was made in (the new epoch is `epoch + 1`). */
  epoch: number;
  /** True for an external commit (sender new_member_commit, RFC 9420 §12.4.3.2). */
  external: boolean;
  /**
   * The committer. For a member commit: its leaf, credential and signature key in the tree of
   * `epoch`. For an external commit: the leaf it takes in the new epoch (the leftmost blank leaf
   * once the commit's Removes are applied, RFC 9420 §12.1.1), and the credential and signature key of
   * its UpdatePath leaf node. The signature key is the one the commit's signature was verified with.
   */
  sender: GroupMember;
  /** Add proposals by value, in commit order. */
  added: AddedMember[];
  /** Remove proposals by value: the removed leaves as they are in the tree of `epoch`, in commit order. */
  removed: GroupMember[];
  /**
   * Proposals included by reference (ProposalRef, RFC 9420 §5.2, base64url). Volly's clients never
   * send them; the delivery service can only resolve refs of proposals it issued itself.
   */
  proposalRefs: string[];
  /**
   * The types of the other proposals by value, in commit order: "update", "psk", "reinit",
   * "external_init" (every external commit has one), "group_context_extensions", or a number for
   * a custom proposal type.
   */
  otherProposals: string[];
  /** Whether the commit carries an UpdatePath (RFC 9420 §12.4.1). Its contents are not verified. */
  hasUpdatePath: boolean;
}

/** What `inspectGroupInfo` verified of a GroupInfo and the ratchet tree stored with it. */
export interface GroupInfoInspection {
  groupId: string;
  epoch: number;
  /** The leaf that signed the GroupInfo (RFC 9420 §12.4.3 `signer`), as the tree has it. */
  signer: GroupMember;
  /** Every member leaf of the tree, in leaf order. */
  members: GroupMember[];
}
