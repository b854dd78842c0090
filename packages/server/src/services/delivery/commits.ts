import { type CommitBody, type CommitResponse, newId, VollyError } from "@volly/protocol";
import { deviceChannel, groupChannel } from "../../bus/bus.js";
import type { WelcomeRecord } from "../../store/types.js";
import type { ServiceContext } from "../context.js";
import { findGroupPolicy, type MembershipPolicies } from "../groups/membership-policies.js";
import { checkQuota, type ServiceLimits } from "../service-limits.js";
import { checkCommitSize, validateMembershipChange } from "./commit-validation.js";
import { type CommitVerifier, findRetry } from "./commit-verification.js";

/**
 * The devices a commit adds without a Welcome — joins by external commit (RFC 9420 §12.4.3.2) —
 * which have no Welcome to wait for; none when the commit carries Welcomes.
 */
export function externallyJoined(
  body: Pick<CommitBody, "addDeviceIds" | "welcome" | "welcomes">,
): readonly string[] {
  return body.welcome !== undefined || (body.welcomes ?? []).length > 0 ? [] : body.addDeviceIds;
}

/** Tells the sessions of `deviceIds` that they follow `groupId` from `seq` on (bus "group-joined"). */
export function announceJoins(
  bus: ServiceContext["bus"],
  groupId: string,
  deviceIds: readonly string[],
  seq: number,
): void {
  for (const deviceId of deviceIds) {
    bus.publish(deviceChannel(deviceId), { type: "group-joined", deviceId, groupId, joinedSeq: seq });
  }
}

/** Sequencing of a group's state changes (RFC 9420 §14): the first commit for an epoch wins. */
export interface CommitSequencer {
  /**
   * Appends a commit created in `body.epoch`, once the delivery service verified it (the public MLS
   * commit against the GroupInfo and ratchet tree stored for the current epoch, the declared
   * membership change against the commit, the next epoch's GroupInfo; see `CommitVerifier`), before
   * the transaction. The epoch check is one conditional update, so of two commits for the same epoch
   * exactly one wins (RFC 9420 §14). In the same transaction: the log entry, added members (joined
   * at the commit's seq; a device whose membership ended is re-added), removed members (their
   * memberships end at the commit's seq, so they still receive this commit and nothing after), the
   * new epoch's ratchet tree and GroupInfo (what the next commit is verified against; served by
   * `GroupService.getGroupInfo`) and an inbox entry per added device for its Welcome (the body's one
   * `welcome`, stored once for all of them, or the legacy per-device `welcomes`). A retry of the
   * commit that already won returns its original result (unless the retention job pruned it
   * meanwhile). Who may commit, and which membership changes, is the group's membership policy's
   * decision (admin policy: current members; adding or removing another account's devices needs the
   * committer's account to be a group admin, except removing a device whose membership already
   * ended). An external commit replacing the committer's own leaf (no adds, no removes) goes through
   * here like any commit.
   *
   * Each part of the commit is bounded by the group's size after it (`commitSizeLimits`), and what it
   * stores (commit, Welcome, tree, GroupInfo) counts against the committer's account quota and the
   * group's — the group's only when it adds devices, so a full group can still remove members (the
   * way out of it).
   *
   * @throws what `CommitVerifier.verify` throws (VOLLY_E_BAD_REQUEST with details.cause and
   *   details.field, VOLLY_E_COMMIT_INVALID with details.cause, VOLLY_E_INTERNAL, …), and
   *   VOLLY_E_UNKNOWN_GROUP, VOLLY_E_NOT_GROUP_MEMBER, VOLLY_E_STALE_EPOCH (details.currentEpoch),
   *   VOLLY_E_UNKNOWN_DEVICE (details.deviceId: an added device that does not exist),
   *   VOLLY_E_BAD_REQUEST (adding a member, removing a non-member, a device both added and removed,
   *   a welcome for a device not added or twice, a shared welcome without adds or with per-device ones),
   *   VOLLY_E_GROUP_FULL (more members than the policy's maxDevices — LIMITS.maxGroupDevices for the
   *   admin policy; details.limit, details.size),
   *   VOLLY_E_NOT_GROUP_ADMIN (details.deviceId: a device of another account, committer not admin),
   *   VOLLY_E_COMMIT_TOO_LARGE (details.field, details.limit, details.size),
   *   VOLLY_E_QUOTA_EXCEEDED (details.scope, details.limit, details.used, details.size);
   *   on any error nothing is written
   */
  commit(deviceId: string, groupId: string, body: CommitBody): Promise<CommitResponse>;
}

/**
 * Builds the {@link CommitSequencer}.
 *
 * @param policies the membership policies groups follow, by name
 * @param verifier checks each commit before its transaction
 * @param limits the storage quotas (`accountBytes`, `groupBytes`)
 */
export function createCommitSequencer(
  { store, bus, now, metrics }: ServiceContext,
  policies: MembershipPolicies,
  verifier: CommitVerifier,
  limits: Pick<ServiceLimits, "accountBytes" | "groupBytes">,
): CommitSequencer {
  return {
    async commit(deviceId, groupId, body) {
      const verdict = await verifier.verify(deviceId, groupId, body);
      if (verdict.kind === "retry") return verdict.response;
      const createdAt = now();
      const result = await store.transaction(async (tx) => {
        // The verifier asked the policy's authorizeView before anything revealed the epoch.
        const { group, policy } = await findGroupPolicy(tx, policies, groupId);
        const advanced = await tx.groups.advanceEpoch(groupId, body.epoch);
        if (!advanced) {
          const retried = await findRetry(tx, groupId, deviceId, body);
          if (retried) return { response: retried, welcomes: [], fresh: false };
          await policy.authorizeView(deviceId, group, tx); // still allowed to learn the epoch?
          const current = await tx.groups.find(groupId);
          throw new VollyError("VOLLY_E_STALE_EPOCH", undefined, { currentEpoch: current?.epoch });
        }
        // The group's row is locked from here on; re-read what concurrent transactions may have changed.
        await policy.authorizeView(deviceId, group, tx);
        const groupDevices = await validateMembershipChange(tx, groupId, body, policy.maxDevices);
        const { addDeviceIds, removeDeviceIds } = body;
        await policy.authorizeCommit(
          { group, committerDeviceId: deviceId, addDeviceIds, removeDeviceIds },
          tx,
        );
        const size = checkCommitSize(body, groupDevices);
        const groupBytes = await tx.storage.chargeGroup(groupId, size);
        if (addDeviceIds.length > 0 && groupBytes !== undefined) {
          checkQuota("group", limits.groupBytes, groupBytes, size);
        }
        const account = await tx.storage.chargeAccountOf(deviceId, size);
        if (account) checkQuota("account", limits.accountBytes, account.storedBytes, size);
        const accountId = account?.accountId;
        const seq = advanced.lastSeq;
        const epoch = advanced.epoch;
        await tx.log.append({
          groupId,
          seq,
          kind: "commit",
          messageId: newId(),
          senderDeviceId: deviceId,
          epoch: body.epoch,
          payload: body.commit,
          createdAt,
        });
        await tx.groups.endMemberships(groupId, body.removeDeviceIds, seq);
        await tx.groups.addMembers(groupId, body.addDeviceIds, seq);
        if (body.addDeviceIds.includes(deviceId)) await tx.accountRecovery.dropRejoin(deviceId, groupId);
        await tx.groups.putTree(groupId, epoch, body.ratchetTree, accountId);
        await tx.groupState.putGroupInfo(groupId, epoch, body.groupInfo, accountId);
        const inboxEntry = (target: string) => ({
          id: newId(),
          deviceId: target,
          groupId,
          seq,
          epoch,
          senderDeviceId: deviceId,
          createdAt,
        });
        let welcomes: Omit<WelcomeRecord, "payload">[];
        if (body.welcome !== undefined) {
          // One Welcome for every added device (RFC 9420 §12.4.3.1), stored once.
          welcomes = body.addDeviceIds.map(inboxEntry);
          await tx.welcomes.insertShared(body.welcome, welcomes, accountId);
        } else {
          const own = (body.welcomes ?? []).map((w) => ({ ...inboxEntry(w.deviceId), payload: w.welcome }));
          await tx.welcomes.insertMany(own);
          welcomes = own;
        }
        return { response: { seq, epoch }, welcomes, fresh: true };
      });
      if (result.fresh) {
        metrics?.messageIn("commit");
        bus.publish(groupChannel(groupId), {
          type: "group-appended",
          groupId,
          seq: result.response.seq,
          kind: "commit",
        });
        // A device that joined by external commit has no Welcome to wait for: its sessions follow now.
        announceJoins(bus, groupId, externallyJoined(body), result.response.seq);
        for (const w of result.welcomes) {
          bus.publish(deviceChannel(w.deviceId), {
            type: "welcome",
            deviceId: w.deviceId,
            welcomeId: w.id,
            groupId,
          });
        }
      }
      return result.response;
    },
  };
}
