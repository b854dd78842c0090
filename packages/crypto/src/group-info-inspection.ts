/**
 * What the delivery service verifies of the GroupInfo and ratchet tree a committer (or a group's
 * creator) attaches for the new epoch (RFC 9420 §12.4.3), before it stores them to verify the next
 * commit ({@link import("./commit-inspection.js").inspectCommit}) and to serve them for resync.
 */
import { utf8 } from "@volly/protocol";
import { verifyGroupInfoSignature } from "ts-mls/groupInfo.js";
import { treeHashRoot } from "ts-mls/treeHash.js";
import type { GroupInfoInspection, GroupMember } from "./api.js";
import type { MlsSuite } from "./mls.js";
import { bytesEqual, decodeTree, decodeWholeGroupInfo } from "./mls-decode.js";
import { commitRejected, suiteImpl } from "./mls-internal.js";
import {
  indexRatchetTree,
  MalformedTreeError,
  memberOf,
  type RatchetTreeIndex,
} from "./ratchet-tree-index.js";

/** What the GroupInfo must be for: the group and the epoch (the commit's epoch + 1, or 0 at creation). */
export interface ExpectedGroupInfo {
  groupId: string;
  epoch: number;
}

/** Options of {@link inspectGroupInfo}. */
export interface InspectGroupInfoOptions {
  /**
   * Also decode the whole tree with ts-mls and check that its tree hash is the GroupContext's
   * `tree_hash` (RFC 9420 §7.8, §8.1), so the tree is the one the GroupInfo describes. Catches a
   * client bug, not a malicious member (who signs a matching pair). Costly for big groups (hundreds
   * of ms at 1,000 devices, see `bench/workloads/commit-inspection.mjs`); off by default.
   */
  verifyTreeHash?: boolean;
}

/**
 * Verifies a GroupInfo and the ratchet tree sent with it (RFC 9420 §12.4.3): the GroupInfo is exactly
 * one MLSMessage of wireformat mls_group_info for `suite`, group `expected.groupId` and epoch
 * `expected.epoch`, with an external_pub extension (§12.4.3.1, needed for resync); the tree is a
 * well-formed ratchet tree (§12.4.3.3); the GroupInfo's `signer` is a member leaf of that tree and its
 * signature verifies with that leaf's key. The delivery service then checks that the signer is the
 * committer (same leaf and device as `inspectCommit`'s `sender`; at creation, the creating device)
 * and may compare `members` with its own view of the membership.
 *
 * It cannot verify that the tree and GroupInfo are the ones the commit produces (that needs the
 * group's secrets: the confirmation tag and the epoch secrets): a malicious member can attach a
 * bogus pair, signed by itself. See docs/threat-model.md.
 *
 * @param suite from `loadSuite`
 * @param groupInfo MLSMessage bytes of wireformat mls_group_info
 * @param ratchetTree the encoded ratchet tree of the same epoch
 * @param expected the group and epoch the GroupInfo must be of
 * @returns the group, epoch, the signer leaf and every member leaf of the tree
 * @throws VollyError VOLLY_E_BAD_REQUEST with `details.cause`: "malformed" (undecodable GroupInfo or
 *   tree, another suite, no external_pub, tree hash mismatch), "wrong-group", "wrong-epoch",
 *   "unknown-sender" (the signer leaf is blank or has no Volly credential), "bad-signature"
 */
export async function inspectGroupInfo(
  suite: MlsSuite,
  groupInfo: Uint8Array,
  ratchetTree: Uint8Array,
  expected: ExpectedGroupInfo,
  options: InspectGroupInfoOptions = {},
): Promise<GroupInfoInspection> {
  const impl = suiteImpl(suite);
  const info = decodeWholeGroupInfo(groupInfo);
  if (info === undefined) {
    throw commitRejected("malformed", "The GroupInfo is not an MLSMessage of wireformat mls_group_info.");
  }
  const gc = info.groupContext;
  if (gc.cipherSuite !== suite.name) {
    throw commitRejected("malformed", `The GroupInfo uses ${gc.cipherSuite}, not ${suite.name}.`);
  }
  if (!bytesEqual(gc.groupId, utf8(expected.groupId))) {
    throw commitRejected("wrong-group", "The GroupInfo belongs to another group.");
  }
  if (gc.epoch !== BigInt(expected.epoch)) {
    throw commitRejected("wrong-epoch", `The GroupInfo is for epoch ${gc.epoch}, not ${expected.epoch}.`, {
      epoch: expected.epoch,
      messageEpoch: Number(gc.epoch),
    });
  }
  if (!info.extensions.some((extension) => extension.extensionType === "external_pub")) {
    throw commitRejected("malformed", "The GroupInfo has no external_pub extension (RFC 9420 §12.4.3.1).");
  }
  let tree: RatchetTreeIndex;
  try {
    tree = indexRatchetTree(ratchetTree);
  } catch (err) {
    if (!(err instanceof MalformedTreeError)) throw err;
    throw commitRejected("malformed", `The ratchet tree is malformed: ${err.message}.`);
  }
  const signerLeaf = tree.leafAt(info.signer);
  const signer = memberOf(signerLeaf);
  if (signerLeaf === undefined || signer === undefined) {
    throw commitRejected("unknown-sender", `The GroupInfo's signer leaf ${info.signer} is not a member.`, {
      leafIndex: info.signer,
    });
  }
  let valid: boolean;
  try {
    valid = await verifyGroupInfoSignature(info, signerLeaf.signaturePublicKey, impl.signature);
  } catch {
    valid = false;
  }
  if (!valid)
    throw commitRejected("bad-signature", "The GroupInfo's signature does not verify with its signer's key.");
  if (options.verifyTreeHash === true) {
    let hash: Uint8Array | undefined;
    try {
      hash = await treeHashRoot(decodeTree(ratchetTree), impl.hash);
    } catch {
      hash = undefined;
    }
    if (hash === undefined || !bytesEqual(hash, gc.treeHash)) {
      throw commitRejected(
        "malformed",
        "The ratchet tree is not the one the GroupInfo describes (tree hash).",
      );
    }
  }
  const members: GroupMember[] = [];
  for (const leaf of tree.leaves()) {
    const member = memberOf(leaf);
    if (member === undefined) {
      throw commitRejected("malformed", `Leaf ${leaf.leafIndex} of the tree has no Volly credential.`);
    }
    members.push(member);
  }
  return { groupId: expected.groupId, epoch: expected.epoch, signer, members };
}
