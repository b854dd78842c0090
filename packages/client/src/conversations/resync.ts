import { groupInfoForExternalJoin, type MlsGroup, rejoinExternally } from "@volly/crypto";
import { type CommitBody, fromBase64Url, toBase64Url, VollyError } from "@volly/protocol";
import type { ClientContext } from "../shared/client-context.js";

/** What the user is told on a conversation this device had to rejoin (see {@link rejoinByExternalCommit}). */
export const RECOVERY_NOTICE = "Messages may have been missed";

/** How many times an external commit is rebuilt after VOLLY_E_STALE_EPOCH before giving up. */
export const MAX_RESYNC_ATTEMPTS = 5;

/** The outcome of a successful resync: the state to adopt and the seq of the accepted commit. */
export interface ResyncResult {
  newGroup: MlsGroup;
  /** Log seq of this device's external commit. */
  seq: number;
}

/**
 * Whether a failure to process a group log entry means this device's group state is lost or forked,
 * so it should rejoin by external commit (DESIGN.md "What production MLS deployments got wrong"):
 * the state is missing or unreadable ("missing-state"), a message is for an epoch AHEAD of ours (we
 * missed a commit), or a commit for our epoch or later cannot be processed. Messages of past epochs
 * are not a reason: the state is fine, the message is just too old.
 *
 * @param cause the DecryptFailureCause of the VOLLY_E_DECRYPT_FAILED
 * @param details the error's details (`epoch`, `messageEpoch` for "wrong-epoch")
 * @param kind the log entry's kind
 */
export function needsResync(
  cause: string,
  details: Record<string, unknown> | undefined,
  kind: string,
): boolean {
  if (cause === "missing-state") return true;
  const epoch = details?.epoch;
  const messageEpoch = details?.messageEpoch;
  const ahead = typeof epoch === "number" && typeof messageEpoch === "number" && messageEpoch > epoch;
  if (cause === "wrong-epoch") return ahead;
  return kind === "commit" && cause !== "wrong-group" && cause !== "malformed";
}

/**
 * Rejoins a conversation's group with an external commit that replaces this device's own old leaf
 * (RFC 9420 §12.4.3.2 resync), from the GroupInfo and ratchet tree the delivery service keeps
 * (GET /v1/groups/:id/group-info). The commit carries the new epoch's GroupInfo too, and goes through
 * the normal commit route (epoch check; no adds or removes). On VOLLY_E_STALE_EPOCH it fetches the
 * newer GroupInfo and tries again, at most {@link MAX_RESYNC_ATTEMPTS} times. Does not store
 * anything: the caller adopts `newGroup`.
 *
 * @param options.declareAdded declare this device added (`addDeviceIds: [self]`): a device whose
 *   membership the server ended (it lost access to a community channel) and whose old leaf is still
 *   in the tree comes back this way where the group's policy allows external joins, so its
 *   membership starts again; without it the commit is a resync that renews nothing
 *
 * @throws VollyError VOLLY_E_UNKNOWN_GROUP (no GroupInfo stored), VOLLY_E_NOT_GROUP_MEMBER,
 *   VOLLY_E_STALE_EPOCH (kept losing), VOLLY_E_DECRYPT_FAILED (GroupInfo or tree unusable),
 *   VOLLY_E_SERVER_UNREACHABLE
 */
export async function rejoinByExternalCommit(
  ctx: ClientContext,
  conversationId: string,
  options: { declareAdded?: boolean } = {},
): Promise<ResyncResult> {
  for (let attempt = 1; ; attempt++) {
    const params = { groupId: conversationId };
    const info = await ctx.api.call("getGroupInfo", { params });
    const rejoin = await rejoinExternally(
      ctx.suite,
      fromBase64Url(info.groupInfo),
      fromBase64Url(info.ratchetTree),
      ctx.identity,
      { accountId: ctx.profile.accountId, deviceId: ctx.profile.deviceId },
    );
    try {
      const body = {
        epoch: rejoin.epoch,
        commit: toBase64Url(rejoin.commit),
        addDeviceIds: options.declareAdded ? [ctx.profile.deviceId] : [],
        removeDeviceIds: [],
        welcomes: [],
        ratchetTree: toBase64Url(rejoin.ratchetTree),
        groupInfo: toBase64Url(await groupInfoForExternalJoin(ctx.suite, rejoin.newGroup)),
      };
      const accepted = await ctx.api.call("commit", { params, body });
      return { newGroup: rejoin.newGroup, seq: accepted.seq };
    } catch (err) {
      if (
        !(err instanceof VollyError && err.code === "VOLLY_E_STALE_EPOCH") ||
        attempt >= MAX_RESYNC_ATTEMPTS
      ) {
        throw err;
      }
    }
  }
}

/** A commit body before {@link attachGroupInfo}: the new epoch's GroupInfo may still be missing. */
export type CommitDraft = Omit<CommitBody, "groupInfo"> & { groupInfo?: string };

/**
 * Attaches the new epoch's GroupInfo (with external_pub, RFC 9420 §12.4.3.1, signed by this device)
 * to a commit body: the delivery service requires it, checks it and verifies the next commit against
 * it, and serves it to a member that has to rejoin. Leaves a body that has one as is.
 *
 * @param prepared.newGroup the state the commit produces
 * @returns the complete body (`prepared.body`, which now has the GroupInfo too)
 */
export async function attachGroupInfo(
  ctx: ClientContext,
  prepared: { newGroup: MlsGroup; body: CommitDraft },
): Promise<CommitBody> {
  const groupInfo =
    prepared.body.groupInfo ?? toBase64Url(await groupInfoForExternalJoin(ctx.suite, prepared.newGroup));
  prepared.body.groupInfo = groupInfo;
  return { ...prepared.body, groupInfo };
}
