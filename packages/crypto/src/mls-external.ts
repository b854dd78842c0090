/**
 * External commits for resync (RFC 9420 §12.4.3.2): the GroupInfo a committer publishes for the
 * epoch its commit creates, and the external commit with which a member whose group state is lost
 * or forked rejoins, replacing its own old leaf.
 */
import { fromUtf8 } from "@volly/protocol";
import {
  createGroupInfoWithExternalPub,
  defaultCapabilities,
  encodeMlsMessage,
  type GroupInfo,
  generateKeyPackageWithKey,
  joinGroupExternal,
} from "ts-mls";
import { encodeRatchetTree } from "ts-mls/ratchetTree.js";
import type { CredentialIdentity, DeviceIdentity, MlsGroup, PublicGroupState } from "./api.js";
import { credentialIdentityToBytes } from "./credential.js";
import type { MlsSuite } from "./mls.js";
import { bytesEqual, decodeTree, decodeWholeGroupInfo } from "./mls-decode.js";
import {
  clientConfig,
  decryptFailed,
  liveState,
  suiteImpl,
  toDecryptError,
  wrapGroup,
} from "./mls-internal.js";

/** Result of {@link rejoinExternally} and {@link joinExternally}. */
export interface ExternalRejoinResult {
  /** The state of the new epoch; adopt it only once the delivery service accepted `commit`. */
  newGroup: MlsGroup;
  /** MLSMessage (mls_public_message) carrying the external commit. */
  commit: Uint8Array;
  /** The new epoch's encoded ratchet tree (RFC 9420 §12.4.3.3). */
  ratchetTree: Uint8Array;
  /** The epoch the commit was created in (the GroupInfo's epoch). */
  epoch: number;
}

/**
 * The group's GroupInfo with an external_pub extension (RFC 9420 §12.4.3.1), signed by this
 * device: what the delivery service keeps so a member can rejoin by external commit. Call it on the
 * state a commit produced (`newGroup`) so it describes the commit's new epoch. It does not carry the
 * ratchet tree (served next to it).
 *
 * @returns encoded MLSMessage of wireformat mls_group_info
 * @throws Error on a handle already consumed
 */
export async function groupInfoForExternalJoin(suite: MlsSuite, group: MlsGroup): Promise<Uint8Array> {
  const groupInfo = await createGroupInfoWithExternalPub(liveState(group), [], suiteImpl(suite));
  return encodeMlsMessage({ version: "mls10", wireformat: "mls_group_info", groupInfo });
}

/**
 * What the delivery service keeps for the group's current epoch: its GroupInfo (with external_pub,
 * signed by this device; RFC 9420 §12.4.3.1) and its ratchet tree (§12.4.3.3). The delivery service
 * needs both for the epoch a commit is made in, to verify that commit ({@link inspectCommit}): a
 * creator sends the epoch-0 state with the new group (`createGroup`); a committer sends the state
 * of the epoch its commit creates (call this on `newGroup`).
 *
 * @returns the group id, the epoch, the GroupInfo (MLSMessage of wireformat mls_group_info) and the
 *   encoded ratchet tree
 * @throws Error on a handle already consumed
 */
export async function publicGroupState(suite: MlsSuite, group: MlsGroup): Promise<PublicGroupState> {
  const state = liveState(group);
  return {
    groupId: fromUtf8(state.groupContext.groupId),
    epoch: Number(state.groupContext.epoch),
    groupInfo: await groupInfoForExternalJoin(suite, group),
    ratchetTree: encodeRatchetTree(state.ratchetTree),
  };
}

/**
 * Rejoins a group with an external commit that removes this device's old leaf (found by its
 * signature key) and adds a fresh one (RFC 9420 §12.4.3.2 "resync"), from the GroupInfo and ratchet
 * tree the delivery service keeps. Every secret of the old state is abandoned; messages of earlier
 * epochs cannot be decrypted with the new state.
 *
 * @param groupInfo MLSMessage (mls_group_info) from {@link groupInfoForExternalJoin}
 * @param ratchetTree the encoded ratchet tree of the GroupInfo's epoch
 * @param identity this device's Ed25519 key pair (the old leaf's signature key)
 * @param credential this device's account and device ids
 * @throws VollyError VOLLY_E_DECRYPT_FAILED (details.cause "malformed" for undecodable input,
 *   "bad-signature" for a GroupInfo whose signature does not verify, "other" otherwise, e.g. another
 *   suite or a tree that does not match)
 */
export async function rejoinExternally(
  suite: MlsSuite,
  groupInfo: Uint8Array,
  ratchetTree: Uint8Array,
  identity: DeviceIdentity,
  credential: CredentialIdentity,
): Promise<ExternalRejoinResult> {
  return commitExternally(suite, groupInfo, ratchetTree, identity, credential, true);
}

/**
 * Joins a group this device is not a member of with an external commit that adds its own new leaf
 * (RFC 9420 §12.4.3.2), from the GroupInfo and ratchet tree the delivery service serves to devices
 * the group's policy lets in (a community channel: those whose accounts may VIEW_CHANNEL). No member
 * needs to be online. The new state reads from the commit's epoch on; nothing earlier.
 *
 * @param groupInfo MLSMessage (mls_group_info) from {@link groupInfoForExternalJoin}
 * @param ratchetTree the encoded ratchet tree of the GroupInfo's epoch
 * @param identity this device's Ed25519 key pair
 * @param credential this device's account and device ids
 * @throws VollyError VOLLY_E_DECRYPT_FAILED (details.cause "malformed" for undecodable input,
 *   "bad-signature" for a GroupInfo whose signature does not verify, "other" otherwise, e.g. another
 *   suite, a tree that does not match, or a device that already has a leaf: it rejoins instead)
 */
export async function joinExternally(
  suite: MlsSuite,
  groupInfo: Uint8Array,
  ratchetTree: Uint8Array,
  identity: DeviceIdentity,
  credential: CredentialIdentity,
): Promise<ExternalRejoinResult> {
  return commitExternally(suite, groupInfo, ratchetTree, identity, credential, false);
}

/** An external commit (RFC 9420 §12.4.3.2): a resync replacing this device's leaf, or a join adding one. */
async function commitExternally(
  suite: MlsSuite,
  groupInfo: Uint8Array,
  ratchetTree: Uint8Array,
  identity: DeviceIdentity,
  credential: CredentialIdentity,
  resync: boolean,
): Promise<ExternalRejoinResult> {
  const impl = suiteImpl(suite);
  const info = decodeGroupInfo(groupInfo);
  if (info.groupContext.cipherSuite !== suite.name) {
    throw decryptFailed("other", `The GroupInfo uses ${info.groupContext.cipherSuite}, not ${suite.name}.`);
  }
  const tree = decodeTree(ratchetTree);
  const now = BigInt(Math.floor(Date.now() / 1000));
  const ownLeaf = tree.some(
    (node) =>
      node?.nodeType === "leaf" && bytesEqual(node.leaf.signaturePublicKey, identity.signaturePublicKey),
  );
  if (resync && !ownLeaf) throw decryptFailed("other", "This device has no leaf in that tree to replace.");
  if (!resync && ownLeaf)
    throw decryptFailed("other", "This device has a leaf in that tree already: rejoin.");
  const { publicPackage, privatePackage } = await generateKeyPackageWithKey(
    { credentialType: "basic", identity: credentialIdentityToBytes(credential) },
    defaultCapabilities(),
    { notBefore: now - 300n, notAfter: now + 3600n },
    [],
    { signKey: identity.signaturePrivateKey, publicKey: identity.signaturePublicKey },
    impl,
  );
  try {
    const { publicMessage, newState } = await joinGroupExternal(
      info,
      publicPackage,
      privatePackage,
      resync,
      impl,
      tree,
      clientConfig,
    );
    return {
      newGroup: wrapGroup(newState),
      commit: encodeMlsMessage({ version: "mls10", wireformat: "mls_public_message", publicMessage }),
      ratchetTree: encodeRatchetTree(newState.ratchetTree),
      epoch: Number(info.groupContext.epoch),
    };
  } catch (err) {
    throw toDecryptError(err, `Cannot ${resync ? "rejoin" : "join"} the group by external commit`);
  } finally {
    privatePackage.initPrivateKey.fill(0);
  }
}

function decodeGroupInfo(bytes: Uint8Array): GroupInfo {
  const info = decodeWholeGroupInfo(bytes);
  if (info === undefined) {
    throw decryptFailed("malformed", "The GroupInfo is not an MLSMessage of wireformat mls_group_info.");
  }
  return info;
}
