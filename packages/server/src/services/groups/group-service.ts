import {
  type CreateGroupBody,
  type GroupInfoResponse,
  type GroupResponse,
  VollyError,
} from "@volly/protocol";
import { deviceChannel } from "../../bus/bus.js";
import { StoreConflict } from "../../store/store-conflict.js";
import type { DeviceRecord, MembershipPolicyName, Repositories } from "../../store/types.js";
import { bindChannelGroup } from "../communities/channel-groups.js";
import type { ServiceContext } from "../context.js";
import type { CommitInspector } from "../delivery/commit-inspector.js";
import { checkInitialStateSize } from "../delivery/commit-validation.js";
import { inspectionFailure, isDeviceLeaf, mlsBytes } from "../delivery/mls-fields.js";
import { checkQuota, DEFAULT_SERVICE_LIMITS, type ServiceLimits } from "../service-limits.js";
import { findGroupPolicy, type MembershipPolicies } from "./membership-policies.js";

/**
 * Groups as the server knows them: their creation, admins and membership as routing sees it, and the
 * GroupInfo kept for resync. Who may see a group and grant admin is its membership policy's
 * decision (see `membership-policy.ts`). What happens in a group's log (commits, messages,
 * departures, cursors) is the delivery service's (`services/delivery/`).
 */
export interface GroupService {
  /**
   * Creates a group at epoch 0 whose only member is `deviceId` (joined at seq 0) and whose only admin
   * is that device's account, then tells the device's live sessions (bus "group-joined") so they
   * follow the group at once. A group id equal to an account id is reserved for that account's own
   * devices (their account-sync conversation). With `body.channelId` the group is that community
   * channel's: it follows the "community-channel" policy and has no admins (see `bindChannelGroup`;
   * VOLLY_E_UNKNOWN_CHANNEL, VOLLY_E_GROUP_EXISTS when the channel has its group).
   *
   * The body carries the MLS group's epoch-0 GroupInfo and ratchet tree, verified first
   * (`inspectGroupInfo`, RFC 9420 §12.4.3: this group, epoch 0, external_pub, a valid signature by its
   * signer leaf) and required to have exactly one member, the creating device (its account, device
   * and registered signature key), which signed it. They are stored with the group, in the same
   * transaction: the group's first commit is verified against them. Like a commit's, they are bounded
   * by what a group of one needs (`commitSizeLimits(1, 0)`, checked before they are decoded) and count
   * against the creator's account quota and the new group's (credited back when the retention job
   * deletes them, once a later epoch's replace them).
   *
   * @param body the group id and the base64url epoch-0 GroupInfo and ratchet tree
   * @throws VOLLY_E_GROUP_EXISTS (also for another account's reserved id), VOLLY_E_UNKNOWN_DEVICE,
   *   VOLLY_E_COMMIT_TOO_LARGE (details.field "ratchetTree" or "groupInfo", details.limit, details.size),
   *   VOLLY_E_QUOTA_EXCEEDED (details.scope, details.limit, details.used, details.size),
   *   VOLLY_E_BAD_REQUEST (details.field "groupInfo"; details.cause a CommitRejectionCause, or
   *   "not-the-creator": the tree's one member and signer is not the creating device, or the tree has
   *   other members), VOLLY_E_INTERNAL (the verification itself failed: logged)
   */
  createGroup(deviceId: string, body: CreateGroupBody): Promise<GroupResponse>;
  /**
   * A group's epoch, last seq, current members and admin accounts (adminAccountIds), for a device its
   * policy lets see the group (admin policy: a current member).
   * @throws VOLLY_E_UNKNOWN_GROUP, VOLLY_E_NOT_GROUP_MEMBER (also once the device's membership ended)
   */
  getGroup(deviceId: string, groupId: string): Promise<GroupResponse>;
  /**
   * The GroupInfo (with external_pub) and ratchet tree of the latest epoch a committer attached a
   * GroupInfo for, so a member whose state is lost or forked can rejoin with an external commit that
   * replaces its own leaf (RFC 9420 §12.4.3.2). Only to devices the group's policy lets see it
   * (admin policy: current members).
   *
   * @throws VOLLY_E_UNKNOWN_GROUP (also when no GroupInfo was stored), VOLLY_E_NOT_GROUP_MEMBER
   */
  getGroupInfo(deviceId: string, groupId: string): Promise<GroupInfoResponse>;
  /**
   * Makes `accountId` an admin of the group, if the group's policy allows it (admin policy: the
   * caller's account must be an admin and the target account must have a current member device in
   * the group). Granting an admin again changes nothing.
   *
   * @returns the group with its adminAccountIds
   * @throws VOLLY_E_UNKNOWN_GROUP, VOLLY_E_NOT_GROUP_MEMBER, VOLLY_E_NOT_GROUP_ADMIN,
   *   VOLLY_E_BAD_REQUEST (details.accountId: no member device of that account)
   */
  grantAdmin(deviceId: string, groupId: string, accountId: string): Promise<GroupResponse>;
}

/**
 * The membership policy of the groups devices create (POST /v1/groups): direct conversations, groups
 * and the account-sync conversation all follow the admin rules.
 */
const CREATED_GROUP_POLICY: MembershipPolicyName = "admin";

/** The group as GET /v1/groups/:id answers it. @throws VOLLY_E_UNKNOWN_GROUP */
async function groupResponse(tx: Repositories, groupId: string): Promise<GroupResponse> {
  const group = await tx.groups.find(groupId);
  if (!group) throw new VollyError("VOLLY_E_UNKNOWN_GROUP", undefined, { groupId });
  return {
    groupId,
    epoch: group.epoch,
    lastSeq: group.lastSeq,
    memberDeviceIds: await tx.groups.listMembers(groupId),
    adminAccountIds: await tx.groupState.listAdmins(groupId),
  };
}

/**
 * Checks the epoch-0 GroupInfo and ratchet tree a creator sends (see {@link GroupService.createGroup}).
 */
async function verifyInitialState(
  { log }: ServiceContext,
  inspector: CommitInspector,
  creator: DeviceRecord,
  body: CreateGroupBody,
): Promise<void> {
  const { groupId } = body;
  let info: Awaited<ReturnType<CommitInspector["inspectGroupInfo"]>>;
  try {
    info = await inspector.inspectGroupInfo(mlsBytes(body.groupInfo), mlsBytes(body.ratchetTree), {
      groupId,
      epoch: 0,
    });
  } catch (error) {
    throw inspectionFailure(error, "groupInfo", (message) =>
      log?.error({ groupId, epoch: 0, err: message }, "group creation verification failed"),
    );
  }
  if (info.members.length !== 1 || !isDeviceLeaf(info.signer, creator)) {
    throw new VollyError(
      "VOLLY_E_BAD_REQUEST",
      "A new group's tree must hold exactly the creating device, which signs its GroupInfo.",
      { cause: "not-the-creator", field: "groupInfo" },
    );
  }
}

/**
 * Builds the {@link GroupService}.
 *
 * @param policies the membership policies groups follow, by name
 * @param inspector the MLS checks a new group's epoch-0 GroupInfo and tree are verified with
 * @param limits the storage quotas (`accountBytes`, `groupBytes`) a new group's epoch-0 state counts
 *   against (default DEFAULT_SERVICE_LIMITS)
 */
export function createGroupService(
  context: ServiceContext,
  policies: MembershipPolicies,
  inspector: CommitInspector,
  limits: Pick<ServiceLimits, "accountBytes" | "groupBytes"> = DEFAULT_SERVICE_LIMITS,
): GroupService {
  const { store, bus, now } = context;
  return {
    async createGroup(deviceId, body) {
      const { groupId } = body;
      const exists = () => new VollyError("VOLLY_E_GROUP_EXISTS", undefined, { groupId });
      /** The creating device, once the group id is known to be free for it. */
      const creatorOf = async (tx: Repositories) => {
        if (await tx.groups.find(groupId)) throw exists();
        const creator = await tx.devices.findById(deviceId);
        if (!creator) throw new VollyError("VOLLY_E_UNKNOWN_DEVICE", undefined, { deviceId });
        // A group whose id is an account's id is that account's own-devices conversation (account
        // sync): only its devices may create it, so nobody can squat it.
        if (groupId !== creator.accountId && (await tx.accounts.findById(groupId))) throw exists();
        return creator;
      };
      const size = checkInitialStateSize(body);
      // Verified outside the transaction (nothing is locked meanwhile); checked again inside it.
      await verifyInitialState(context, inspector, await creatorOf(store), body);
      const created = await store
        .transaction(async (tx) => {
          const creator = await creatorOf(tx);
          const channelId = body.channelId;
          if (channelId !== undefined)
            await bindChannelGroup(tx, channelId, groupId, creator.accountId, now());
          await tx.groups.insert({
            id: groupId,
            epoch: 0,
            lastSeq: 0,
            createdAt: now(),
            membershipPolicy: channelId !== undefined ? "community-channel" : CREATED_GROUP_POLICY,
          });
          // The group's row first, then the account's: the order every writer locks them in.
          const groupBytes = await tx.storage.chargeGroup(groupId, size);
          if (groupBytes !== undefined) checkQuota("group", limits.groupBytes, groupBytes, size);
          const accountBytes = await tx.storage.chargeAccount(creator.accountId, size);
          if (accountBytes !== undefined) checkQuota("account", limits.accountBytes, accountBytes, size);
          await tx.groups.addMembers(groupId, [deviceId], 0);
          await tx.groups.putTree(groupId, 0, body.ratchetTree, creator.accountId);
          await tx.groupState.putGroupInfo(groupId, 0, body.groupInfo, creator.accountId);
          // A channel's group has no admins: the community's roles decide.
          const adminAccountIds = channelId !== undefined ? [] : [creator.accountId];
          await tx.groupState.addAdmins(groupId, adminAccountIds);
          return { groupId, epoch: 0, lastSeq: 0, memberDeviceIds: [deviceId], adminAccountIds };
        })
        .catch((error: unknown) => {
          // Created concurrently by another request (another node, PostgreSQL): same answer.
          throw error instanceof StoreConflict ? exists() : error;
        });
      bus.publish(deviceChannel(deviceId), { type: "group-joined", deviceId, groupId, joinedSeq: 0 });
      return created;
    },

    async getGroup(deviceId, groupId) {
      const { group, policy } = await findGroupPolicy(store, policies, groupId);
      await policy.authorizeView(deviceId, group, store);
      return groupResponse(store, groupId);
    },

    async getGroupInfo(deviceId, groupId) {
      const { group, policy } = await findGroupPolicy(store, policies, groupId);
      await policy.authorizeView(deviceId, group, store);
      const latest = await store.groupState.findLatestGroupInfo(groupId);
      const ratchetTree = latest && (await store.groups.findTree(groupId, latest.epoch));
      if (!latest || ratchetTree === undefined) {
        throw new VollyError("VOLLY_E_UNKNOWN_GROUP", "No GroupInfo is stored for this group.", { groupId });
      }
      return { groupId, epoch: latest.epoch, groupInfo: latest.groupInfo, ratchetTree };
    },

    async grantAdmin(deviceId, groupId, accountId) {
      return store.transaction(async (tx) => {
        const { group, policy } = await findGroupPolicy(tx, policies, groupId);
        await policy.authorizeView(deviceId, group, tx);
        await policy.authorizeAdminGrant({ group, granterDeviceId: deviceId, accountId }, tx);
        await tx.groupState.addAdmins(groupId, [accountId]);
        return groupResponse(tx, groupId);
      });
    },
  };
}
