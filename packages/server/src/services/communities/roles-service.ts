import {
  type CommunityMember,
  type CommunityRole,
  type CreateRoleBody,
  hasPermission,
  newId,
  type OkResponse,
  parsePermissions,
  type UpdateRoleBody,
  VollyError,
} from "@volly/protocol";
import type { CommunityRoleRecord } from "../../store/community-types.js";
import type { Repositories } from "../../store/types.js";
import type { ServiceContext } from "../context.js";
import { recordAudit } from "./audit.js";
import {
  type CommunityAccess,
  loadAccess,
  requireEvery,
  requireOutranks,
  requirePermission,
} from "./community-access.js";
import type { CommunityAftermath } from "./community-aftermath.js";
import { memberViewOf, roleView } from "./community-views.js";

/**
 * Roles and their assignment (Discord's role resource and hierarchy): everything needs MANAGE_ROLES
 * and reaches only roles below the caller's highest role; a role can carry only permissions the caller
 * has (ADMINISTRATOR and the owner have them all). @everyone (id = the community's) can have its
 * permissions edited but not be moved, renamed, deleted or assigned.
 */
export interface RoleService {
  /** Creates a role at position 1 (just above @everyone). @throws VOLLY_E_UNKNOWN_COMMUNITY, VOLLY_E_FORBIDDEN */
  create(accountId: string, communityId: string, body: CreateRoleBody): Promise<CommunityRole>;
  /**
   * Edits a role; a new position re-orders the others (positions stay 1…n). Members who lose
   * VIEW_CHANNEL somewhere leave that channel's group.
   * @throws VOLLY_E_UNKNOWN_COMMUNITY, VOLLY_E_UNKNOWN_ROLE, VOLLY_E_FORBIDDEN, VOLLY_E_BAD_REQUEST
   */
  update(
    accountId: string,
    communityId: string,
    roleId: string,
    body: UpdateRoleBody,
  ): Promise<CommunityRole>;
  /** Deletes a role. @throws VOLLY_E_UNKNOWN_COMMUNITY, VOLLY_E_UNKNOWN_ROLE, VOLLY_E_FORBIDDEN, VOLLY_E_BAD_REQUEST */
  delete(accountId: string, communityId: string, roleId: string): Promise<OkResponse>;
  /** Gives a member a role. @throws VOLLY_E_UNKNOWN_ROLE, VOLLY_E_NOT_COMMUNITY_MEMBER, VOLLY_E_FORBIDDEN */
  assign(
    accountId: string,
    communityId: string,
    memberAccountId: string,
    roleId: string,
  ): Promise<CommunityMember>;
  /** Takes a role from a member. @throws VOLLY_E_UNKNOWN_ROLE, VOLLY_E_NOT_COMMUNITY_MEMBER, VOLLY_E_FORBIDDEN */
  unassign(
    accountId: string,
    communityId: string,
    memberAccountId: string,
    roleId: string,
  ): Promise<CommunityMember>;
}

/** Throws unless the caller holds every permission in `bits` (ADMINISTRATOR and the owner hold all). */
function requireGrantable(access: CommunityAccess, bits: number): void {
  if (hasPermission(access.permissions, "ADMINISTRATOR")) return;
  requireEvery(access.permissions, bits, "You cannot give a role a permission you lack.");
}

function findRole(access: CommunityAccess, roleId: string): CommunityRoleRecord {
  const role = access.roles.find((r) => r.id === roleId);
  if (!role) throw new VollyError("VOLLY_E_UNKNOWN_ROLE", undefined, { roleId });
  return role;
}

const everyoneUntouchable = (what: string) =>
  new VollyError("VOLLY_E_BAD_REQUEST", `@everyone cannot be ${what}.`, { field: "roleId" });

/** Renumbers the community's roles (not @everyone) 1…n in `ordered` order. */
async function renumber(tx: Repositories, ordered: readonly CommunityRoleRecord[]): Promise<void> {
  for (const [index, role] of ordered.entries()) {
    if (role.position !== index + 1) await tx.communities.updateRole(role.id, { position: index + 1 });
  }
}

/** Builds the {@link RoleService}. */
export function createRoleService(
  { store, now }: ServiceContext,
  aftermath: CommunityAftermath,
): RoleService {
  const managing = async <T>(
    accountId: string,
    communityId: string,
    fn: (tx: Repositories, access: CommunityAccess, at: number) => Promise<T>,
  ) => {
    const at = now();
    return store.transaction(async (tx) => {
      const access = await loadAccess(tx, communityId, accountId, at, { lock: true });
      requirePermission(access.permissions, "MANAGE_ROLES");
      return fn(tx, access, at);
    });
  };
  /** Gives (`add`) or takes a role below the caller's highest; members losing it may lose channels. */
  const changeMemberRole = async (
    accountId: string,
    communityId: string,
    memberAccountId: string,
    roleId: string,
    add: boolean,
  ): Promise<CommunityMember> => {
    const member = await managing(accountId, communityId, async (tx, access, at) => {
      const role = findRole(access, roleId);
      if (roleId === communityId) throw everyoneUntouchable(add ? "assigned" : "unassigned");
      requireOutranks(access, role.position, "MANAGE_ROLES");
      await memberViewOf(tx, communityId, memberAccountId, at); // a member, or VOLLY_E_NOT_COMMUNITY_MEMBER
      if (add) await tx.communities.addMemberRole(communityId, memberAccountId, roleId);
      else await tx.communities.removeMemberRole(communityId, memberAccountId, roleId);
      const action = add ? "member.role_add" : "member.role_remove";
      await recordAudit(
        tx,
        { communityId, actorAccountId: accountId, action, targetId: memberAccountId },
        at,
      );
      return memberViewOf(tx, communityId, memberAccountId, at);
    });
    await aftermath.settle(communityId);
    return member;
  };
  return {
    async create(accountId, communityId, body) {
      const result = await managing(accountId, communityId, async (tx, access, at) => {
        const permissions = body.permissions !== undefined ? parsePermissions(body.permissions) : 0;
        requireGrantable(access, permissions);
        const role: CommunityRoleRecord = {
          id: newId(),
          communityId,
          name: body.name,
          color: body.color ?? 0,
          position: 1,
          permissions,
        };
        await tx.communities.insertRole(role);
        const others = access.roles.filter((r) => r.id !== communityId);
        await renumber(tx, [role, ...others]);
        await recordAudit(
          tx,
          { communityId, actorAccountId: accountId, action: "role.create", targetId: role.id },
          at,
        );
        return roleView(role);
      });
      await aftermath.notify(communityId);
      return result;
    },

    async update(accountId, communityId, roleId, body) {
      const role = await managing(accountId, communityId, async (tx, access, at) => {
        const role = findRole(access, roleId);
        const everyone = roleId === communityId;
        if (everyone && (body.name !== undefined || body.position !== undefined)) {
          throw everyoneUntouchable("renamed or moved");
        }
        if (!everyone) requireOutranks(access, role.position, "MANAGE_ROLES");
        const permissions = body.permissions !== undefined ? parsePermissions(body.permissions) : undefined;
        if (permissions !== undefined) requireGrantable(access, permissions);
        const patch = {
          ...(body.name !== undefined ? { name: body.name } : {}),
          ...(body.color !== undefined ? { color: body.color } : {}),
          ...(permissions !== undefined ? { permissions } : {}),
        };
        if (Object.keys(patch).length > 0) await tx.communities.updateRole(roleId, patch);
        if (body.position !== undefined) {
          requireOutranks(access, body.position, "MANAGE_ROLES");
          const others = access.roles.filter((r) => r.id !== communityId && r.id !== roleId);
          const index = Math.min(body.position - 1, others.length);
          await renumber(tx, [...others.slice(0, index), role, ...others.slice(index)]);
        }
        await recordAudit(
          tx,
          { communityId, actorAccountId: accountId, action: "role.update", targetId: roleId },
          at,
        );
        const updated = (await tx.communities.listRoles(communityId)).find((r) => r.id === roleId);
        return roleView(updated ?? role);
      });
      await aftermath.settle(communityId);
      return role;
    },

    async delete(accountId, communityId, roleId) {
      await managing(accountId, communityId, async (tx, access, at) => {
        const role = findRole(access, roleId);
        if (roleId === communityId) throw everyoneUntouchable("deleted");
        requireOutranks(access, role.position, "MANAGE_ROLES");
        await tx.communities.deleteRole(roleId);
        await renumber(
          tx,
          access.roles.filter((r) => r.id !== communityId && r.id !== roleId),
        );
        await recordAudit(
          tx,
          { communityId, actorAccountId: accountId, action: "role.delete", targetId: roleId },
          at,
        );
      });
      await aftermath.settle(communityId);
      return { ok: true };
    },

    assign: (accountId, communityId, memberAccountId, roleId) =>
      changeMemberRole(accountId, communityId, memberAccountId, roleId, true),
    unassign: (accountId, communityId, memberAccountId, roleId) =>
      changeMemberRole(accountId, communityId, memberAccountId, roleId, false),
  };
}
