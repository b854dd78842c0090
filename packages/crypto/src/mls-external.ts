/**
 * External commits for resync (RFC 9420 §12.4.3.2): the GroupInfo a committer publishes for the
 * epoch its commit creates, and the external commit with which a member whose group state is lost
 * or forked rejoins, replacing its own old leaf.
 */
import {
  createGroupInfoWithExternalPub,
  decodeMlsMessage,
  defaultCapabilities,
  encodeMlsMessage,
  type GroupInfo,
  generateKeyPackageWithKey,
  joinGroupExternal,
  type RatchetTree,
} from "ts-mls";
import { decodeRatchetTree, encodeRatchetTree } from "ts-mls/ratchetTree.js";
import type { CredentialIdentity, DeviceIdentity, MlsGroup } from "./api.js";
import { credentialIdentityToBytes } from "./credential.js";
import type { MlsSuite } from "./mls.js";
import {
  clientConfig,
  decryptFailed,
  liveState,
  suiteImpl,
  toDecryptError,
  wrapGroup,
} from "./mls-internal.js";

/** Result of {@link rejoinExternally}. */
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
  const impl = suiteImpl(suite);
  const info = decodeGroupInfo(groupInfo);
  if (info.groupContext.cipherSuite !== suite.name) {
    throw decryptFailed("other", `The GroupInfo uses ${info.groupContext.cipherSuite}, not ${suite.name}.`);
  }
  const tree = decodeTree(ratchetTree);
  const now = BigInt(Math.floor(Date.now() / 1000));
  const { publicPackage, privatePackage } = await generateKeyPackageWithKey(
    { credentialType: "basic", identity: credentialIdentityToBytes(credential) },
    defaultCapabilities(),
    { notBefore: now - 300n, notAfter: now + 3600n },
    [],
    { signKey: identity.signaturePrivateKey, publicKey: identity.signaturePublicKey },
    impl,
  );
  const ownLeaf = tree.some(
    (node) =>
      node?.nodeType === "leaf" && bytesEqual(node.leaf.signaturePublicKey, identity.signaturePublicKey),
  );
  if (!ownLeaf) throw decryptFailed("other", "This device has no leaf in that tree to replace.");
  try {
    const { publicMessage, newState } = await joinGroupExternal(
      info,
      publicPackage,
      privatePackage,
      true,
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
    throw toDecryptError(err, "Cannot rejoin the group by external commit");
  } finally {
    privatePackage.initPrivateKey.fill(0);
  }
}

function decodeGroupInfo(bytes: Uint8Array): GroupInfo {
  try {
    const decoded = decodeMlsMessage(bytes, 0);
    if (decoded?.[0].wireformat === "mls_group_info" && decoded[1] === bytes.length)
      return decoded[0].groupInfo;
  } catch {
    // fall through
  }
  throw decryptFailed("malformed", "The GroupInfo is not an MLSMessage of wireformat mls_group_info.");
}

function decodeTree(bytes: Uint8Array): RatchetTree {
  try {
    const decoded = decodeRatchetTree(bytes, 0);
    if (decoded !== undefined && decoded[1] === bytes.length) return decoded[0];
  } catch {
    // fall through
  }
  throw decryptFailed("malformed", "The ratchet tree cannot be decoded.");
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
