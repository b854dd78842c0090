import type { MessageDeclaration } from "@volly/protocol";
import type { DeferredSends, GroupRecord, MembershipPolicyName, Repositories } from "../../store/types.js";

/** The group an authorization is about: its id and the policy it was created with. */
export type PolicyGroup = Pick<GroupRecord, "id" | "membershipPolicy">;

/**
 * The membership change a commit makes, as the delivery service sees it: what the committer declares
 * (`addDeviceIds`, `removeDeviceIds`), which the delivery service has checked against the public MLS
 * commit itself (RFC 9420 §12.4; `delivery/commit-verification.ts`) unless the group predates that
 * check. By the time a policy sees it, the change is structurally valid: added devices exist and are not current
 * members, removed ones are or were members, none is both, and the group stays within the policy's
 * {@link MembershipPolicy.maxDevices}.
 */
export interface MembershipChange {
  group: PolicyGroup;
  /** The device whose commit this is. */
  committerDeviceId: string;
  /** Devices the commit adds (Add proposals, RFC 9420 §12.1.1). */
  addDeviceIds: readonly string[];
  /** Devices the commit removes (Remove proposals, RFC 9420 §12.1.3). */
  removeDeviceIds: readonly string[];
}

/** A request to make an account an admin of a group (POST /v1/groups/:id/admins). */
export interface AdminGrant {
  group: PolicyGroup;
  /** The device asking. */
  granterDeviceId: string;
  /** The account to make admin. */
  accountId: string;
}

/**
 * Who may do what in a group: see it, commit which membership changes, send, grant admin. Each
 * group follows one policy, chosen when it is created and stored with it
 * (`groups.membership_policy`); services look it up by that name in `MembershipPolicies` and never
 * decide these questions themselves. A new kind of group (a community channel, where
 * VIEW_CHANNEL is membership, SEND_MESSAGES is checked at send and the server itself proposes
 * Removes) is a new implementation of this interface, not an edit of the services.
 *
 * Every method runs inside the caller's transaction (`tx`) and resolves when the action is allowed;
 * when it is not, it throws the VollyError the client gets, and the caller writes nothing. A
 * policy only reads.
 */
export interface MembershipPolicy {
  /** The name groups store to follow this policy. */
  readonly name: MembershipPolicyName;
  /**
   * Most member devices a group of this policy may have (VOLLY_E_GROUP_FULL past it): the MLS tree
   * size its members' clients are built and measured for.
   */
  readonly maxDevices: number;
  /**
   * Whether a device that is not a member may join by external commit (RFC 9420 §12.4.3.2) once
   * {@link MembershipPolicy.authorizeView} lets it see the group: the commit adds only the posting
   * device's own new leaf and declares `addDeviceIds: [its id]`. Without it, an external commit can
   * only be a member's resync in place of its own leaf.
   */
  readonly externalJoin: boolean;
  /**
   * May `deviceId` see the group: its epoch, members and admins (GET /v1/groups/:id), its GroupInfo
   * (to rejoin or join by external commit, RFC 9420 §12.4.3.2), and commit to it at all? Checked
   * before a commit's epoch check (so a device that may not see the group never learns its epoch)
   * and again once the group's row is locked; what the commit may change is
   * {@link MembershipPolicy.authorizeCommit}'s.
   *
   * @throws VOLLY_E_NOT_GROUP_MEMBER (details.groupId) or the policy's own refusal
   */
  authorizeView(deviceId: string, group: PolicyGroup, tx: Repositories): Promise<void>;
  /**
   * May the committer make this (structurally valid) membership change? Called inside the commit's
   * transaction with the group's row locked, after {@link MembershipPolicy.authorizeView}.
   *
   * @throws VOLLY_E_NOT_GROUP_ADMIN (details.groupId, details.deviceId) or the policy's own refusal
   */
  authorizeCommit(change: MembershipChange, tx: Repositories): Promise<void>;
  /**
   * May `deviceId` send to the group (an application message, or a typing notification)? Complete
   * on its own — the send path calls nothing else — and on the hot path, so it should cost one
   * indexed read. Called with the group's row locked by the seq allocation.
   *
   * @param declares what an application message says it carries (`SendMessageBody.declares`;
   *   empty for typing)
   * @throws VOLLY_E_NOT_GROUP_MEMBER (details.groupId) or the policy's own refusal
   */
  authorizeSend(
    deviceId: string,
    group: PolicyGroup,
    tx: Repositories,
    declares?: readonly MessageDeclaration[],
  ): Promise<void>;
  /**
   * {@link MembershipPolicy.authorizeSend} left to the end of a shared batch, where one statement
   * checks every deferred send ({@link DeferredSends}): returns true when this policy's whole check
   * was deferred, false (or absent) when the caller must call `authorizeSend` now. A deferred check
   * that fails makes the batch run again without deferral, so the send then meets `authorizeSend`'s
   * own error.
   */
  deferSendCheck?(
    deviceId: string,
    group: PolicyGroup,
    deferred: DeferredSends,
    declares?: readonly MessageDeclaration[],
  ): boolean;
  /**
   * May the granter make `grant.accountId` an admin? Called after
   * {@link MembershipPolicy.authorizeView} for the granter, inside the grant's transaction.
   *
   * @throws VOLLY_E_NOT_GROUP_ADMIN, VOLLY_E_BAD_REQUEST (details.accountId) or the policy's own refusal
   */
  authorizeAdminGrant(grant: AdminGrant, tx: Repositories): Promise<void>;
}
