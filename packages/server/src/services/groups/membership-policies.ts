import { VollyError } from "@volly/protocol";
import type { GroupRecord, MembershipPolicyName, Repositories } from "../../store/types.js";
import { createChannelPolicy } from "../communities/channel-policy.js";
import { adminPolicy } from "./admin-policy.js";
import type { MembershipPolicy } from "./membership-policy.js";

/**
 * Every membership policy, by the name groups store (`groups.membership_policy`). A new policy is a
 * new name in `MEMBERSHIP_POLICY_NAMES` and one more entry here (the type requires it).
 */
export type MembershipPolicies = {
  readonly [N in MembershipPolicyName]: MembershipPolicy & { readonly name: N };
};

/**
 * Builds the policies the services choose from (see {@link MembershipPolicies}).
 *
 * @param now the clock channel timeouts are compared with (ms)
 */
export function createMembershipPolicies(now: () => number = Date.now): MembershipPolicies {
  return {
    admin: { ...adminPolicy, name: "admin" },
    "community-channel": { ...createChannelPolicy(now), name: "community-channel" },
  };
}

/**
 * Loads a group and the membership policy it follows.
 *
 * @throws VOLLY_E_UNKNOWN_GROUP (details.groupId)
 */
export async function findGroupPolicy(
  tx: Repositories,
  policies: MembershipPolicies,
  groupId: string,
): Promise<{ group: GroupRecord; policy: MembershipPolicy }> {
  const group = await tx.groups.find(groupId);
  if (!group) throw new VollyError("VOLLY_E_UNKNOWN_GROUP", undefined, { groupId });
  return { group, policy: policies[group.membershipPolicy] };
}
