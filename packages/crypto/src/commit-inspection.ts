/**
 * What the delivery service verifies of a commit before it accepts it (RFC 9420 §6.2, §12.4): from
 * public inputs only — the commit, and the GroupInfo and ratchet tree it stores for the epoch — never
 * a member's group state.
 */
import { toBase64Url, utf8 } from "@volly/protocol";
import type { Credential, GroupContext, PublicMessage } from "ts-mls";
import { type FramedContentCommit, verifyFramedContentSignature } from "ts-mls/framedContent.js";
import { makeKeyPackageRef } from "ts-mls/keyPackage.js";
import type { AddedMember, CommitEpochContext, CommitInspection, GroupMember } from "./api.js";
import { credentialIdentityFromBytes } from "./credential.js";
import type { MlsSuite } from "./mls.js";
import { bytesEqual, decodeWholeGroupInfo, decodeWholeMessage } from "./mls-decode.js";
import { commitRejected, suiteImpl } from "./mls-internal.js";
import { indexRatchetTree, memberOf, type RatchetTreeIndex } from "./ratchet-tree-index.js";

/**
 * Verifies a commit for the delivery service and says what it does (RFC 9420 §6.2, §12.4):
 * - the bytes are exactly one MLSMessage of wireformat mls_public_message with content_type commit;
 * - its group_id is `context.groupId` and its epoch `context.epoch`;
 * - its sender is a member leaf of `context.ratchetTree` (with a Volly credential), or a new member
 *   committing externally (§12.4.3.2), whose key is its UpdatePath's leaf node's;
 * - its FramedContent signature verifies with that key over FramedContentTBS, which includes the
 *   epoch's GroupContext taken from `context.groupInfo` (§6.1).
 *
 * What it cannot verify, for want of the group's secrets: the membership_tag (§6.2: it needs the
 * epoch's membership key), the UpdatePath's encrypted path secrets and the confirmation tag, the
 * added key packages' own signatures (compare `added[].keyPackageRef` with the packages the
 * directory handed out), and that the next epoch's ratchet tree and GroupInfo the committer attaches
 * are what this commit produces (see `inspectGroupInfo`). A member can therefore still get a commit
 * accepted that the other members cannot process; they then fail it with VOLLY_E_DECRYPT_FAILED and
 * resync (`processMessage`).
 *
 * Cost: one pass over the tree's length prefixes (no tree decoding), the commit's decoding, one
 * Ed25519 verification and one hash per Add; see `bench/workloads/commit-inspection.mjs`.
 *
 * @param suite from `loadSuite`; the stored GroupInfo must be of that suite
 * @param commit the commit as posted (MLSMessage bytes)
 * @param context the group's current epoch and the GroupInfo and ratchet tree stored for it
 * @returns the committer, the added and removed devices, proposals by reference and other proposals
 * @throws VollyError VOLLY_E_BAD_REQUEST with `details.cause` a {@link CommitRejectionCause}
 *   ("wrong-epoch" with `details.epoch` and `details.messageEpoch` when the commit is for a later
 *   epoch), or VOLLY_E_STALE_EPOCH (`details.cause` "wrong-epoch", `details.currentEpoch`) when it
 *   is for an earlier one; Error when `context` itself is unusable (a stored GroupInfo of another
 *   group, epoch or suite, or a corrupt stored tree): the delivery service's data, not the request
 */
export async function inspectCommit(
  suite: MlsSuite,
  commit: Uint8Array,
  context: CommitEpochContext,
): Promise<CommitInspection> {
  const impl = suiteImpl(suite);
  const groupContext = storedGroupContext(suite, context);
  const tree = storedTree(context.ratchetTree);

  const message = decodeWholeMessage(commit);
  if (message === undefined || message.version !== "mls10") {
    throw commitRejected("malformed", "The commit is not an MLSMessage (RFC 9420 §6).");
  }
  if (message.wireformat !== "mls_public_message") {
    throw commitRejected(
      "not-public-message",
      `A commit must be sent as an mls_public_message (RFC 9420 §6.2), not ${message.wireformat}.`,
    );
  }
  const pm: PublicMessage = message.publicMessage;
  const content = pm.content;
  if (content.contentType !== "commit") {
    throw commitRejected(
      "not-public-message",
      `The public message carries a ${content.contentType}, not a commit.`,
    );
  }
  if (!bytesEqual(content.groupId, groupContext.groupId)) {
    throw commitRejected("wrong-group", "The commit belongs to another group.");
  }
  if (content.epoch !== groupContext.epoch) {
    const stale = content.epoch < groupContext.epoch;
    throw commitRejected(
      "wrong-epoch",
      stale
        ? `The commit is for epoch ${content.epoch}; the group is at epoch ${context.epoch}.`
        : `The commit is for epoch ${content.epoch}, which the group (at epoch ${context.epoch}) has not reached.`,
      { epoch: context.epoch, messageEpoch: Number(content.epoch), currentEpoch: context.epoch },
      stale,
    );
  }

  const removedLeaves = removedLeafIndices(content);
  const sender = identifySender(content, tree, removedLeaves);
  let signatureValid: boolean;
  try {
    signatureValid = await verifyFramedContentSignature(
      sender.key,
      "mls_public_message",
      content,
      pm.auth,
      groupContext,
      impl.signature,
    );
  } catch {
    signatureValid = false;
  }
  if (!signatureValid) {
    throw commitRejected("bad-signature", "The commit's signature does not verify with the sender's key.");
  }

  const added: AddedMember[] = [];
  const removed: GroupMember[] = [];
  const proposalRefs: string[] = [];
  const otherProposals: string[] = [];
  for (const entry of content.commit.proposals) {
    if (entry.proposalOrRefType === "reference") {
      proposalRefs.push(toBase64Url(entry.reference));
      continue;
    }
    const proposal = entry.proposal;
    if (proposal.proposalType === "add") {
      const kp = proposal.add.keyPackage;
      const credential = vollyCredential(kp.leafNode.credential);
      if (credential === undefined) {
        throw commitRejected("malformed", "An added key package does not carry a Volly credential.");
      }
      added.push({
        credential,
        signaturePublicKey: toBase64Url(kp.leafNode.signaturePublicKey),
        keyPackageRef: toBase64Url(await makeKeyPackageRef(kp, impl.hash)),
      });
    } else if (proposal.proposalType === "remove") {
      const member = memberOf(tree.leafAt(proposal.remove.removed));
      if (member === undefined) {
        throw commitRejected(
          "malformed",
          `The commit removes leaf ${proposal.remove.removed}, which is blank.`,
          {
            leafIndex: proposal.remove.removed,
          },
        );
      }
      removed.push(member);
    } else {
      otherProposals.push(String(proposal.proposalType));
    }
  }
  if (sender.external && proposalRefs.length > 0) {
    throw commitRejected(
      "malformed",
      "An external commit cannot include proposals by reference (RFC 9420 §12.4.3.2).",
    );
  }
  return {
    groupId: context.groupId,
    epoch: context.epoch,
    external: sender.external,
    sender: sender.member,
    added,
    removed,
    proposalRefs,
    otherProposals,
    hasUpdatePath: content.commit.path !== undefined,
  };
}

interface IdentifiedSender {
  member: GroupMember;
  key: Uint8Array;
  external: boolean;
}

/** The committer and the key its signature must verify with (RFC 9420 §6.1, §12.4.3.2). */
function identifySender(
  content: FramedContentCommit,
  tree: RatchetTreeIndex,
  removedLeaves: ReadonlySet<number>,
): IdentifiedSender {
  const sender = content.sender;
  if (sender.senderType === "member") {
    const leaf = tree.leafAt(sender.leafIndex);
    const member = memberOf(leaf);
    if (leaf === undefined || member === undefined) {
      throw commitRejected(
        "unknown-sender",
        `The commit's sender leaf ${sender.leafIndex} is not a member.`,
        {
          leafIndex: sender.leafIndex,
        },
      );
    }
    return { member, key: leaf.signaturePublicKey, external: false };
  }
  if (sender.senderType === "new_member_commit") {
    const leafNode = content.commit.path?.leafNode;
    if (leafNode === undefined) {
      throw commitRejected("malformed", "An external commit must carry an UpdatePath (RFC 9420 §12.4.3.2).");
    }
    const credential = vollyCredential(leafNode.credential);
    if (credential === undefined) {
      throw commitRejected("unknown-sender", "The external committer does not carry a Volly credential.");
    }
    let leafIndex = 0;
    while (
      leafIndex < tree.leafWidth &&
      tree.leafAt(leafIndex) !== undefined &&
      !removedLeaves.has(leafIndex)
    ) {
      leafIndex++;
    }
    return {
      member: { leafIndex, credential, signaturePublicKey: toBase64Url(leafNode.signaturePublicKey) },
      key: leafNode.signaturePublicKey,
      external: true,
    };
  }
  throw commitRejected("unknown-sender", `A ${sender.senderType} sender cannot commit (RFC 9420 §12.4).`);
}

function removedLeafIndices(content: FramedContentCommit): Set<number> {
  const out = new Set<number>();
  for (const entry of content.commit.proposals) {
    if (entry.proposalOrRefType === "proposal" && entry.proposal.proposalType === "remove") {
      out.add(entry.proposal.remove.removed);
    }
  }
  return out;
}

/** The `accountId:deviceId` of a basic credential, or undefined for any other credential. */
function vollyCredential(credential: Credential) {
  return credential.credentialType === "basic" ? credentialIdentityFromBytes(credential.identity) : undefined;
}

/** The GroupContext of the stored GroupInfo, checked against the context it is given with. */
function storedGroupContext(suite: MlsSuite, context: CommitEpochContext): GroupContext {
  const info = decodeWholeGroupInfo(context.groupInfo);
  if (info === undefined) throw new Error("The stored GroupInfo cannot be decoded.");
  const gc = info.groupContext;
  if (gc.cipherSuite !== suite.name)
    throw new Error(`The stored GroupInfo uses ${gc.cipherSuite}, not ${suite.name}.`);
  if (!bytesEqual(gc.groupId, utf8(context.groupId)))
    throw new Error("The stored GroupInfo is another group's.");
  if (gc.epoch !== BigInt(context.epoch)) {
    throw new Error(`The stored GroupInfo is for epoch ${gc.epoch}, not ${context.epoch}.`);
  }
  return gc;
}

function storedTree(bytes: Uint8Array): RatchetTreeIndex {
  try {
    return indexRatchetTree(bytes);
  } catch (err) {
    throw new Error(
      `The stored ratchet tree is corrupt: ${err instanceof Error ? err.message : String(err)}.`,
    );
  }
}
