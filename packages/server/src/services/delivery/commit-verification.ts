import type { CommitInspection, GroupInfoInspection, GroupMember } from "@volly/crypto";
import { type CommitBody, type CommitResponse, VollyError } from "@volly/protocol";
import type { DeviceRecord, Repositories } from "../../store/types.js";
import type { ServiceContext } from "../context.js";
import { findGroupPolicy, type MembershipPolicies } from "../groups/membership-policies.js";
import type { CommitInspector } from "./commit-inspector.js";
import { checkCommitSize } from "./commit-validation.js";
import { inspectionFailure, isDeviceLeaf, mlsBytes, welcomeRefs } from "./mls-fields.js";

/**
 * What {@link CommitVerifier.verify} concluded: the commit passed every check ("verified"), could
 * not be checked because the group's current epoch has no stored GroupInfo and tree ("unverified",
 * groups created before commits were verified), or is a retry of the commit that already won its
 * epoch ("retry", with that commit's original result).
 */
export type CommitVerdict =
  | { kind: "verified" }
  | { kind: "unverified" }
  | { kind: "retry"; response: CommitResponse };

/** The delivery service's checks of a commit before its transaction (RFC 9420 §6.2, §12.4). */
export interface CommitVerifier {
  /**
   * Verifies a posted commit against the group's current epoch E and the GroupInfo and ratchet tree
   * stored for E, outside any transaction (nothing is locked while it runs; the transaction's
   * conditional epoch update still decides which commit wins):
   * - the device may see the group (its policy's `authorizeView`, before anything reveals E);
   * - `body.epoch` < E: the retry of the commit that won that epoch (same device, same bytes) gets
   *   its original result, anything else VOLLY_E_STALE_EPOCH; `body.epoch` > E: VOLLY_E_BAD_REQUEST;
   * - each part of the commit is within `commitSizeLimits` for the group's size after it (its
   *   members, plus the devices it adds, minus those it removes), before any MLS decoding, so a
   *   commit of megabytes never reaches the inspector;
   * - the commit is a public commit of this group and epoch, signed by a member leaf (or an external
   *   committer), as `inspectCommit` verifies;
   * - it is the posting device's own: the sender's credential (account and device) and signature
   *   key are the posting device's;
   * - a member commit adds exactly `addDeviceIds` — each added key package carries the directory's
   *   account and key for its device — and removes exactly `removeDeviceIds`, never its committer,
   *   and carries no other proposals and no proposals by reference; its Welcome is addressed to
   *   exactly the added key packages;
   * - an external commit (RFC 9420 §12.4.3.2) is a resync — its only other proposal is external_init,
   *   it adds nobody and removes only the posting device's own old leaf, and declares no membership
   *   change and no Welcome — or, in a group whose policy allows external joins, the posting device
   *   joining: it removes nobody and declares `addDeviceIds: [its own id]`;
   * - the GroupInfo and ratchet tree attached for E+1 are of this group and epoch E+1, with
   *   external_pub, signed by the committer's leaf (the leaf it takes, for an external commit) whose
   *   credential and key are the posting device's (`inspectGroupInfo`).
   *
   * When nothing is stored for E, only the attached GroupInfo is checked (its signer must be the
   * posting device), the commit is let through and counted (`volly_commit_checks_total{outcome=
   * "unverified"}`); from E+1 on the group is verified.
   *
   * @throws VOLLY_E_UNKNOWN_GROUP, VOLLY_E_NOT_GROUP_MEMBER (or the policy's refusal),
   *   VOLLY_E_STALE_EPOCH (details.currentEpoch), VOLLY_E_BAD_REQUEST (details.cause, a
   *   CommitRejectionCause; details.field "commit", "groupInfo" or "welcome"), VOLLY_E_COMMIT_INVALID
   *   (details.cause, see {@link CommitInvalidCause}), VOLLY_E_UNKNOWN_DEVICE (details.deviceId: an
   *   added device that does not exist or was revoked), VOLLY_E_COMMIT_TOO_LARGE (details.field,
   *   details.limit, details.size, details.groupDevices), VOLLY_E_INTERNAL (the stored state cannot be
   *   used, or the inspection worker failed: logged)
   */
  verify(deviceId: string, groupId: string, body: CommitBody): Promise<CommitVerdict>;
}

/**
 * Why a commit was refused as VOLLY_E_COMMIT_INVALID (`details.cause`):
 * - "sender-not-poster": the commit (or the next epoch's GroupInfo) is signed by another device's
 *   leaf, or by a leaf whose credential or key is not the posting device's;
 * - "adds-mismatch" / "removes-mismatch": the devices the commit adds / removes are not the declared
 *   `addDeviceIds` / `removeDeviceIds` (details.deviceId: one that differs);
 * - "added-key-mismatch": an added key package's account or signature key is not the directory's for
 *   its device (details.deviceId);
 * - "self-removal": the commit removes its committer;
 * - "unsupported-proposal": proposals Volly does not send (details.proposals);
 * - "not-a-resync": an external commit that is not the posting device rejoining in place of its own
 *   old leaf (or, where the policy allows external joins, adding its own new leaf) — or that declares
 *   other membership changes than that;
 * - "welcome-mismatch": the Welcome is not addressed to exactly the added key packages.
 */
export type CommitInvalidCause =
  | "sender-not-poster"
  | "adds-mismatch"
  | "removes-mismatch"
  | "added-key-mismatch"
  | "self-removal"
  | "unsupported-proposal"
  | "not-a-resync"
  | "welcome-mismatch";

const invalid = (cause: CommitInvalidCause, message: string, extra: Record<string, unknown> = {}) =>
  new VollyError("VOLLY_E_COMMIT_INVALID", message, { cause, ...extra });

/**
 * Builds the {@link CommitVerifier}.
 *
 * @param policies the membership policies groups follow, by name
 * @param inspector runs the MLS checks (in a worker thread for big commits)
 */
export function createCommitVerifier(
  { store, metrics, log }: ServiceContext,
  policies: MembershipPolicies,
  inspector: CommitInspector,
): CommitVerifier {
  /** Runs an MLS check: a VollyError is the request's fault; anything else is ours (logged, 500). */
  const check = async <T>(
    run: () => Promise<T>,
    field: string,
    where: { groupId: string; epoch: number },
  ): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      throw inspectionFailure(error, field, (message) =>
        log?.error({ ...where, field, err: message }, "commit verification failed"),
      );
    }
  };

  return {
    async verify(deviceId, groupId, body) {
      const { group, policy } = await findGroupPolicy(store, policies, groupId);
      await policy.authorizeView(deviceId, group, store);
      const epoch = group.epoch;
      if (body.epoch < epoch) {
        const response = await findRetry(store, groupId, deviceId, body);
        if (response) return { kind: "retry", response };
        throw new VollyError("VOLLY_E_STALE_EPOCH", undefined, { currentEpoch: epoch });
      }
      if (body.epoch > epoch) {
        throw new VollyError(
          "VOLLY_E_BAD_REQUEST",
          `The commit is for epoch ${body.epoch}, which the group (at epoch ${epoch}) has not reached.`,
          { cause: "wrong-epoch", field: "epoch", epoch, messageEpoch: body.epoch },
        );
      }
      // Bounded before any of it is decoded; the transaction checks the size again under its lock.
      const members = new Set(await store.groups.listMembers(groupId));
      const count = (ids: readonly string[], inGroup: boolean) =>
        ids.filter((id) => members.has(id) === inGroup).length;
      checkCommitSize(
        body,
        members.size + count(body.addDeviceIds, false) - count(body.removeDeviceIds, true),
      );
      const where = { groupId, epoch };
      try {
        const poster = await store.devices.findById(deviceId);
        if (!poster) throw new VollyError("VOLLY_E_UNKNOWN_DEVICE", undefined, { deviceId });
        const [storedTree, storedInfo] = await Promise.all([
          store.groups.findTree(groupId, epoch),
          store.groupState.findGroupInfo(groupId, epoch),
        ]);
        let committer: GroupMember | undefined;
        if (storedTree !== undefined && storedInfo !== undefined) {
          const commit = mlsBytes(body.commit);
          const context = {
            groupId,
            epoch,
            ratchetTree: mlsBytes(storedTree),
            groupInfo: mlsBytes(storedInfo),
          };
          const inspection = await check(() => inspector.inspectCommit(commit, context), "commit", where);
          if (inspection.external) {
            // A device restored with the recovery key joins its lost devices' groups like this.
            const joinable =
              policy.externalJoin || (await store.accountRecovery.hasRejoin(poster.id, groupId));
            checkExternal(inspection, body, poster, joinable);
          } else {
            const refs = (welcome: string) => check(() => welcomeRefs(inspector, welcome), "welcome", where);
            await checkMemberCommit(store, inspection, body, poster, refs);
          }
          committer = inspection.sender;
        }
        const info = await check(
          () =>
            inspector.inspectGroupInfo(mlsBytes(body.groupInfo), mlsBytes(body.ratchetTree), {
              groupId,
              epoch: epoch + 1,
            }),
          "groupInfo",
          where,
        );
        checkNextGroupInfo(info, committer, poster);
        metrics?.commitChecked(committer ? "verified" : "unverified");
        return { kind: committer ? "verified" : "unverified" };
      } catch (error) {
        if (error instanceof VollyError && error.code !== "VOLLY_E_INTERNAL") {
          metrics?.commitChecked("rejected");
        }
        throw error;
      }
    },
  };
}

/**
 * The original result of a retried commit: the commit that won `body.epoch` was posted by this
 * device with these bytes. Undefined otherwise (or when the retention job pruned it).
 */
export async function findRetry(
  tx: Repositories,
  groupId: string,
  deviceId: string,
  body: CommitBody,
): Promise<CommitResponse | undefined> {
  const previous = await tx.log.findCommitAt(groupId, body.epoch);
  if (previous && previous.senderDeviceId === deviceId && previous.payload === body.commit) {
    return { seq: previous.seq, epoch: body.epoch + 1 };
  }
  return undefined;
}

/** The policy of a member commit (see {@link CommitVerifier.verify}). */
async function checkMemberCommit(
  tx: Repositories,
  inspection: CommitInspection,
  body: CommitBody,
  poster: DeviceRecord,
  welcomeRefs: (welcome: string) => Promise<string[]>,
): Promise<void> {
  if (!isDeviceLeaf(inspection.sender, poster)) {
    throw invalid("sender-not-poster", "The commit is signed by another device's leaf.", {
      leafIndex: inspection.sender.leafIndex,
    });
  }
  if (inspection.otherProposals.length > 0 || inspection.proposalRefs.length > 0) {
    throw invalid("unsupported-proposal", "A commit may only add and remove devices.", {
      proposals: [...inspection.otherProposals, ...inspection.proposalRefs.map(() => "reference")],
    });
  }
  const added = inspection.added.map((a) => a.credential.deviceId);
  const mismatch = setMismatch(added, body.addDeviceIds);
  if (mismatch !== undefined) {
    throw invalid("adds-mismatch", "The devices the commit adds are not addDeviceIds.", {
      deviceId: mismatch,
    });
  }
  const removed = inspection.removed.map((r) => r.credential.deviceId);
  const removedMismatch = setMismatch(removed, body.removeDeviceIds, true);
  if (removedMismatch !== undefined) {
    throw invalid("removes-mismatch", "The devices the commit removes are not removeDeviceIds.", {
      deviceId: removedMismatch,
    });
  }
  if (
    inspection.removed.some(
      (r) => r.leafIndex === inspection.sender.leafIndex || r.credential.deviceId === poster.id,
    )
  ) {
    throw invalid("self-removal", "A device cannot commit its own removal (RFC 9420 §12.2).");
  }
  if (inspection.added.length > 0) {
    const directory = new Map((await tx.devices.findMany(added)).map((d) => [d.id, d]));
    for (const a of inspection.added) {
      const device = directory.get(a.credential.deviceId);
      if (!device || device.revokedAt !== undefined) {
        throw new VollyError("VOLLY_E_UNKNOWN_DEVICE", undefined, { deviceId: a.credential.deviceId });
      }
      if (device.accountId !== a.credential.accountId || device.signaturePublicKey !== a.signaturePublicKey) {
        throw invalid(
          "added-key-mismatch",
          "An added key package does not carry its device's account and signature key.",
          { deviceId: device.id },
        );
      }
    }
  }
  // Older SDKs repeat one Welcome per added device: each distinct Welcome is decoded once.
  const welcomes = new Set([
    ...(body.welcome === undefined ? [] : [body.welcome]),
    ...(body.welcomes ?? []).map((w) => w.welcome),
  ]);
  const expected = new Set(inspection.added.map((a) => a.keyPackageRef));
  if (expected.size > 0 && welcomes.size === 0) {
    throw invalid("welcome-mismatch", "A commit that adds devices needs their Welcome.");
  }
  for (const welcome of welcomes) {
    const refs = await welcomeRefs(welcome);
    if (setMismatch(refs, [...expected]) !== undefined) {
      throw invalid("welcome-mismatch", "The Welcome is not addressed to exactly the added key packages.");
    }
  }
}

/**
 * The policy of an external commit (RFC 9420 §12.4.3.2): a resync of the posting device in place of
 * its own old leaf, or — where the group's policy allows external joins — the posting device joining
 * with a new leaf, declared as `addDeviceIds: [its id]` (also when it replaces an old leaf whose
 * membership had ended). Either way its only other proposal is external_init and it carries no
 * Welcome.
 */
function checkExternal(
  inspection: CommitInspection,
  body: CommitBody,
  poster: DeviceRecord,
  externalJoin: boolean,
): void {
  if (!isDeviceLeaf(inspection.sender, poster)) {
    throw invalid("sender-not-poster", "The external commit is not the posting device's.");
  }
  const ownOldLeaf =
    inspection.removed.length === 1 &&
    inspection.removed[0]?.credential.deviceId === poster.id &&
    inspection.removed[0]?.credential.accountId === poster.accountId;
  const join = externalJoin && inspection.removed.length === 0;
  // Where joins are allowed, a device whose membership ended (it lost access, then got it back
  // before a member committed its Remove) comes back by replacing its old leaf and declaring itself
  // added, so its membership starts again; a current member declaring that is refused later.
  const declarations = join ? [[poster.id]] : externalJoin ? [[], [poster.id]] : [[]];
  const declaresItself =
    declarations.some(
      (declared) =>
        body.addDeviceIds.length === declared.length &&
        body.addDeviceIds.every((id, i) => id === declared[i]),
    ) &&
    body.removeDeviceIds.length === 0 &&
    body.welcome === undefined &&
    (body.welcomes ?? []).length === 0;
  if (
    inspection.added.length > 0 ||
    !(ownOldLeaf || join) ||
    inspection.otherProposals.length !== 1 ||
    inspection.otherProposals[0] !== "external_init" ||
    !declaresItself
  ) {
    throw invalid(
      "not-a-resync",
      externalJoin
        ? "An external commit must add or replace only the posting device's own leaf, as it declares."
        : "An external commit must replace the posting device's own leaf, and change nothing else.",
    );
  }
}

/** The next epoch's GroupInfo is signed by the committer's leaf, and that leaf is the poster's. */
function checkNextGroupInfo(
  info: GroupInfoInspection,
  committer: GroupMember | undefined,
  poster: DeviceRecord,
): void {
  if (
    !isDeviceLeaf(info.signer, poster) ||
    (committer !== undefined && info.signer.leafIndex !== committer.leafIndex)
  ) {
    throw invalid("sender-not-poster", "The next epoch's GroupInfo is not signed by the committer's leaf.", {
      field: "groupInfo",
      leafIndex: info.signer.leafIndex,
    });
  }
}

/**
 * The first id that is in one list and not the other, comparing them as sets (undefined when they
 * are the same set). Unless `allowRepeats`, an id listed twice in `actual` is a mismatch too (a
 * device added twice); removals may repeat, a device having more than one leaf.
 */
function setMismatch(actual: readonly string[], declared: readonly string[], allowRepeats = false) {
  const expected = new Set(declared);
  const seen = new Set<string>();
  for (const id of actual) {
    if (!expected.has(id) || (!allowRepeats && seen.has(id))) return id;
    seen.add(id);
  }
  return declared.find((id) => !seen.has(id));
}
