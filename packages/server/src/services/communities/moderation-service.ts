import {
  type AuditLogResponse,
  type BanListResponse,
  type CommunityMember,
  hasPermission,
  type OkResponse,
  type PermissionName,
  VollyError,
} from "@volly/protocol";
import type { AuditRecord } from "../../store/community-types.js";
import type { Repositories } from "../../store/types.js";
import type { ServiceContext } from "../context.js";
import { recordAudit } from "./audit.js";
import {
  type CommunityAccess,
  highestPositionOf,
  loadAccess,
  requireOutranks,
  requirePermission,
} from "./community-access.js";
import type { CommunityAftermath } from "./community-aftermath.js";
import { memberViewOf } from "./community-views.js";

/** How many audit log entries GET …/audit-log answers with (newest first). */
export const AUDIT_LOG_PAGE = 100;

/**
 * Moderation (Discord's kick, ban, timeout and audit log). Acting on a member needs the permission
 * and a highest role above the target's; nobody acts on the owner; every action is in the audit log.
 */
export interface ModerationService {
  /**
   * Removes a member; their devices depart every channel group.
   * @throws VOLLY_E_UNKNOWN_COMMUNITY, VOLLY_E_NOT_COMMUNITY_MEMBER, VOLLY_E_FORBIDDEN (KICK_MEMBERS)
   */
  kick(accountId: string, communityId: string, targetAccountId: string, reason?: string): Promise<OkResponse>;
  /**
   * Bans an account (a member or not): removed if a member, and refused by invites until unbanned.
   * @throws VOLLY_E_UNKNOWN_COMMUNITY, VOLLY_E_UNKNOWN_ACCOUNT, VOLLY_E_FORBIDDEN (BAN_MEMBERS)
   */
  ban(accountId: string, communityId: string, targetAccountId: string, reason?: string): Promise<OkResponse>;
  /** Lifts a ban (idempotent). @throws VOLLY_E_UNKNOWN_COMMUNITY, VOLLY_E_FORBIDDEN (BAN_MEMBERS) */
  unban(accountId: string, communityId: string, targetAccountId: string): Promise<OkResponse>;
  /** The bans. @throws VOLLY_E_UNKNOWN_COMMUNITY, VOLLY_E_FORBIDDEN (BAN_MEMBERS) */
  listBans(accountId: string, communityId: string): Promise<BanListResponse>;
  /**
   * Times a member out for `durationMs` (0 ends it): they keep reading but cannot send.
   * @throws VOLLY_E_UNKNOWN_COMMUNITY, VOLLY_E_NOT_COMMUNITY_MEMBER, VOLLY_E_FORBIDDEN (MODERATE_MEMBERS;
   *   also for an ADMINISTRATOR target)
   */
  timeout(
    accountId: string,
    communityId: string,
    targetAccountId: string,
    durationMs: number,
    reason?: string,
  ): Promise<CommunityMember>;
  /** The latest audit log entries. @throws VOLLY_E_UNKNOWN_COMMUNITY, VOLLY_E_FORBIDDEN (VIEW_AUDIT_LOG) */
  auditLog(accountId: string, communityId: string): Promise<AuditLogResponse>;
}

function auditView(e: AuditRecord): AuditLogResponse["entries"][number] {
  return {
    entryId: e.id,
    actorAccountId: e.actorAccountId,
    action: e.action as AuditLogResponse["entries"][number]["action"],
    ...(e.targetId !== null ? { targetId: e.targetId } : {}),
    ...(e.reason !== null ? { reason: e.reason } : {}),
    createdAt: e.createdAt,
  };
}

/** Checks that `access` may act on the member `targetAccountId` with `permission`; returns the target. */
async function requireActionable(
  tx: Repositories,
  access: CommunityAccess,
  targetAccountId: string,
  permission: PermissionName,
) {
  requirePermission(access.permissions, permission);
  const target = await tx.communities.findMember(access.community.id, targetAccountId);
  if (!target)
    throw new VollyError("VOLLY_E_NOT_COMMUNITY_MEMBER", undefined, { accountId: targetAccountId });
  if (targetAccountId === access.community.ownerAccountId || targetAccountId === access.member.accountId) {
    throw new VollyError("VOLLY_E_FORBIDDEN", "Not on the owner, nor on yourself.", {
      permission,
      reason: "target",
    });
  }
  requireOutranks(access, highestPositionOf(access.community, target, access.roles), permission);
  return target;
}

/** Builds the {@link ModerationService}. */
export function createModerationService(
  { store, now }: ServiceContext,
  aftermath: CommunityAftermath,
): ModerationService {
  const acting = async <T>(
    accountId: string,
    communityId: string,
    fn: (tx: Repositories, access: CommunityAccess, at: number) => Promise<T>,
  ) => {
    const at = now();
    return store.transaction(async (tx) =>
      fn(tx, await loadAccess(tx, communityId, accountId, at, { lock: true }), at),
    );
  };
  return {
    async kick(accountId, communityId, targetAccountId, reason) {
      await acting(accountId, communityId, async (tx, access, at) => {
        await requireActionable(tx, access, targetAccountId, "KICK_MEMBERS");
        await tx.communities.deleteMember(communityId, targetAccountId);
        await recordAudit(
          tx,
          {
            communityId,
            actorAccountId: accountId,
            action: "member.kick",
            targetId: targetAccountId,
            ...(reason !== undefined ? { reason } : {}),
          },
          at,
        );
      });
      await aftermath.settle(communityId, { alsoAccountIds: [targetAccountId] });
      return { ok: true };
    },

    async ban(accountId, communityId, targetAccountId, reason) {
      await acting(accountId, communityId, async (tx, access, at) => {
        if (!(await tx.accounts.findById(targetAccountId))) {
          throw new VollyError("VOLLY_E_UNKNOWN_ACCOUNT", undefined, { accountId: targetAccountId });
        }
        if (await tx.communities.findMember(communityId, targetAccountId)) {
          await requireActionable(tx, access, targetAccountId, "BAN_MEMBERS");
          await tx.communities.deleteMember(communityId, targetAccountId);
        } else {
          requirePermission(access.permissions, "BAN_MEMBERS");
        }
        await tx.communities.insertBan({
          communityId,
          accountId: targetAccountId,
          reason: reason ?? null,
          bannedBy: accountId,
          createdAt: at,
        });
        await recordAudit(
          tx,
          {
            communityId,
            actorAccountId: accountId,
            action: "member.ban",
            targetId: targetAccountId,
            ...(reason !== undefined ? { reason } : {}),
          },
          at,
        );
      });
      await aftermath.settle(communityId, { alsoAccountIds: [targetAccountId] });
      return { ok: true };
    },

    async unban(accountId, communityId, targetAccountId) {
      await acting(accountId, communityId, async (tx, access, at) => {
        requirePermission(access.permissions, "BAN_MEMBERS");
        if (await tx.communities.deleteBan(communityId, targetAccountId)) {
          await recordAudit(
            tx,
            { communityId, actorAccountId: accountId, action: "member.unban", targetId: targetAccountId },
            at,
          );
        }
      });
      return { ok: true };
    },

    async listBans(accountId, communityId) {
      const access = await loadAccess(store, communityId, accountId, now());
      requirePermission(access.permissions, "BAN_MEMBERS");
      const bans = await store.communities.listBans(communityId);
      return {
        bans: bans.map((b) => ({
          accountId: b.accountId,
          handle: b.handle,
          ...(b.reason !== null ? { reason: b.reason } : {}),
          bannedBy: b.bannedBy,
          createdAt: b.createdAt,
        })),
      };
    },

    async timeout(accountId, communityId, targetAccountId, durationMs, reason) {
      const member = await acting(accountId, communityId, async (tx, access, at) => {
        const target = await requireActionable(tx, access, targetAccountId, "MODERATE_MEMBERS");
        const targetAccess = await loadAccess(tx, communityId, target.accountId, at);
        if (hasPermission(targetAccess.permissions, "ADMINISTRATOR")) {
          throw new VollyError("VOLLY_E_FORBIDDEN", "An administrator cannot be timed out.", {
            permission: "MODERATE_MEMBERS",
            reason: "target",
          });
        }
        await tx.communities.setTimeout(
          communityId,
          targetAccountId,
          durationMs === 0 ? null : at + durationMs,
        );
        await recordAudit(
          tx,
          {
            communityId,
            actorAccountId: accountId,
            action: "member.timeout",
            targetId: targetAccountId,
            ...(reason !== undefined ? { reason } : {}),
          },
          at,
        );
        return memberViewOf(tx, communityId, targetAccountId, at);
      });
      await aftermath.notify(communityId);
      return member;
    },

    async auditLog(accountId, communityId) {
      const access = await loadAccess(store, communityId, accountId, now());
      requirePermission(access.permissions, "VIEW_AUDIT_LOG");
      const entries = await store.communities.listAudit(communityId, AUDIT_LOG_PAGE);
      return { entries: entries.map(auditView) };
    },
  };
}
