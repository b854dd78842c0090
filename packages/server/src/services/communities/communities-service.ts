import {
  type CommunityInvite,
  type CommunityListResponse,
  type CommunityResponse,
  type CreateCommunityBody,
  type CreateInviteBody,
  DEFAULT_EVERYONE_PERMISSIONS,
  type InviteListResponse,
  type InvitePreviewResponse,
  newId,
  type OkResponse,
  type UpdateCommunityBody,
  VollyError,
} from "@volly/protocol";
import type { CommunityInviteRecord } from "../../store/community-types.js";
import type { ServiceContext } from "../context.js";
import { recordAudit } from "./audit.js";
import { loadAccess, requirePermission } from "./community-access.js";
import type { CommunityAftermath } from "./community-aftermath.js";
import { communityView } from "./community-views.js";

/** Default lifetime of a community invite (Discord's default: 7 days), in seconds. */
export const DEFAULT_INVITE_MAX_AGE_SECONDS = 7 * 24 * 3600;
/** The history new text channels give newcomers unless set otherwise. */
export const DEFAULT_HISTORY_POLICY = JSON.stringify({ kind: "days", days: 30 });

/**
 * Communities themselves: creation, the member's view, settings, ownership, leaving, and invites
 * (Discord's guild and invite resources). Every method takes the caller's account id; permissions are
 * resolved on the server from the community's role table (see `community-access.ts`).
 */
export interface CommunityService {
  /** Creates a community owned by the caller, with @everyone (Discord's defaults) and a #general channel. */
  create(accountId: string, body: CreateCommunityBody): Promise<CommunityResponse>;
  /** The caller's communities. */
  list(accountId: string): Promise<CommunityListResponse>;
  /** The community as the caller sees it. @throws VOLLY_E_UNKNOWN_COMMUNITY */
  get(accountId: string, communityId: string): Promise<CommunityResponse>;
  /** Renames or describes it. @throws VOLLY_E_UNKNOWN_COMMUNITY, VOLLY_E_FORBIDDEN (MANAGE_COMMUNITY) */
  update(accountId: string, communityId: string, body: UpdateCommunityBody): Promise<CommunityResponse>;
  /**
   * Deletes it with all its records; its channels' groups are emptied (every device departed).
   * @throws VOLLY_E_UNKNOWN_COMMUNITY, VOLLY_E_FORBIDDEN (details.permission "OWNER")
   */
  delete(accountId: string, communityId: string): Promise<OkResponse>;
  /**
   * Leaves it; the caller's devices leave every channel group.
   * @throws VOLLY_E_UNKNOWN_COMMUNITY, VOLLY_E_OWNER_CANNOT_LEAVE
   */
  leave(accountId: string, communityId: string): Promise<OkResponse>;
  /**
   * Makes another member the owner.
   * @throws VOLLY_E_UNKNOWN_COMMUNITY, VOLLY_E_FORBIDDEN ("OWNER"), VOLLY_E_NOT_COMMUNITY_MEMBER
   */
  transferOwnership(
    accountId: string,
    communityId: string,
    newOwnerAccountId: string,
  ): Promise<CommunityResponse>;
  /** Creates an invite. @throws VOLLY_E_UNKNOWN_COMMUNITY, VOLLY_E_FORBIDDEN (CREATE_INVITE) */
  createInvite(accountId: string, communityId: string, body: CreateInviteBody): Promise<CommunityInvite>;
  /** Lists invites. @throws VOLLY_E_UNKNOWN_COMMUNITY, VOLLY_E_FORBIDDEN (MANAGE_COMMUNITY) */
  listInvites(accountId: string, communityId: string): Promise<InviteListResponse>;
  /**
   * Revokes an invite (its creator, or MANAGE_COMMUNITY).
   * @throws VOLLY_E_UNKNOWN_COMMUNITY, VOLLY_E_COMMUNITY_INVITE_INVALID, VOLLY_E_FORBIDDEN
   */
  revokeInvite(accountId: string, communityId: string, code: string): Promise<OkResponse>;
  /** What an invite leads to. @throws VOLLY_E_COMMUNITY_INVITE_INVALID (unknown, expired or used up) */
  previewInvite(code: string): Promise<InvitePreviewResponse>;
  /**
   * Joins by invite (a member already: answered without using the invite).
   * @throws VOLLY_E_COMMUNITY_INVITE_INVALID, VOLLY_E_BANNED
   */
  join(accountId: string, code: string): Promise<CommunityResponse>;
}

function inviteView(i: CommunityInviteRecord): CommunityInvite {
  return {
    code: i.code,
    communityId: i.communityId,
    creatorAccountId: i.creatorAccountId,
    createdAt: i.createdAt,
    ...(i.expiresAt !== null ? { expiresAt: i.expiresAt } : {}),
    ...(i.maxUses !== null ? { maxUses: i.maxUses } : {}),
    uses: i.uses,
  };
}

const invalidInvite = (code: string) =>
  new VollyError("VOLLY_E_COMMUNITY_INVITE_INVALID", undefined, { code });
const notOwner = () =>
  new VollyError("VOLLY_E_FORBIDDEN", "Only the community's owner may do this.", { permission: "OWNER" });

/** Builds the {@link CommunityService}. */
export function createCommunityService(
  { store, now }: ServiceContext,
  aftermath: CommunityAftermath,
): CommunityService {
  const liveInvite = (i: CommunityInviteRecord | undefined, at: number) =>
    i !== undefined &&
    (i.expiresAt === null || i.expiresAt > at) &&
    (i.maxUses === null || i.uses < i.maxUses);
  return {
    async create(accountId, body) {
      const communityId = newId();
      const at = now();
      return store.transaction(async (tx) => {
        await tx.communities.insert({
          id: communityId,
          name: body.name,
          description: body.description ?? "",
          ownerAccountId: accountId,
          createdAt: at,
        });
        await tx.communities.insertRole({
          id: communityId,
          communityId,
          name: "@everyone",
          color: 0,
          position: 0,
          permissions: DEFAULT_EVERYONE_PERMISSIONS,
        });
        await tx.communities.insertMember(communityId, accountId, at);
        await tx.communities.insertChannel({
          id: newId(),
          communityId,
          type: "text",
          name: "general",
          topic: "",
          parentId: null,
          position: 0,
          groupId: null,
          historyPolicy: DEFAULT_HISTORY_POLICY,
          createdAt: at,
        });
        return communityView(tx, await loadAccess(tx, communityId, accountId, at), at);
      });
    },

    async list(accountId) {
      const rows = await store.communities.listOf(accountId);
      return {
        communities: rows.map((c) => ({
          communityId: c.id,
          name: c.name,
          ownerAccountId: c.ownerAccountId,
          memberCount: c.memberCount,
        })),
      };
    },

    async get(accountId, communityId) {
      const at = now();
      return communityView(store, await loadAccess(store, communityId, accountId, at), at);
    },

    async update(accountId, communityId, body) {
      const at = now();
      const updated = await store.transaction(async (tx) => {
        const access = await loadAccess(tx, communityId, accountId, at, { lock: true });
        requirePermission(access.permissions, "MANAGE_COMMUNITY");
        await tx.communities.update(communityId, body);
        await recordAudit(tx, { communityId, actorAccountId: accountId, action: "community.update" }, at);
        return communityView(tx, await loadAccess(tx, communityId, accountId, at), at);
      });
      await aftermath.notify(communityId);
      return updated;
    },

    async delete(accountId, communityId) {
      const at = now();
      const gone = await store.transaction(async (tx) => {
        const access = await loadAccess(tx, communityId, accountId, at, { lock: true });
        if (access.community.ownerAccountId !== accountId) throw notOwner();
        const channels = await tx.communities.listChannels(communityId);
        const members = await tx.communities.listMembers(communityId);
        await tx.communities.delete(communityId);
        return {
          groups: channels.flatMap((c) => (c.groupId !== null ? [c.groupId] : [])),
          accounts: members.map((m) => m.accountId),
        };
      });
      await aftermath.settle(communityId, { emptiedGroups: gone.groups, alsoAccountIds: gone.accounts });
      return { ok: true };
    },

    async leave(accountId, communityId) {
      const at = now();
      await store.transaction(async (tx) => {
        const access = await loadAccess(tx, communityId, accountId, at, { lock: true });
        if (access.community.ownerAccountId === accountId) {
          throw new VollyError("VOLLY_E_OWNER_CANNOT_LEAVE", undefined, { communityId });
        }
        await tx.communities.deleteMember(communityId, accountId);
      });
      await aftermath.settle(communityId, { alsoAccountIds: [accountId] });
      return { ok: true };
    },

    async transferOwnership(accountId, communityId, newOwnerAccountId) {
      const at = now();
      const transferred = await store.transaction(async (tx) => {
        const access = await loadAccess(tx, communityId, accountId, at, { lock: true });
        if (access.community.ownerAccountId !== accountId) throw notOwner();
        if (!(await tx.communities.findMember(communityId, newOwnerAccountId))) {
          throw new VollyError("VOLLY_E_NOT_COMMUNITY_MEMBER", undefined, { accountId: newOwnerAccountId });
        }
        await tx.communities.update(communityId, { ownerAccountId: newOwnerAccountId });
        await recordAudit(
          tx,
          {
            communityId,
            actorAccountId: accountId,
            action: "community.transfer",
            targetId: newOwnerAccountId,
          },
          at,
        );
        return communityView(tx, await loadAccess(tx, communityId, accountId, at), at);
      });
      await aftermath.settle(communityId);
      return transferred;
    },

    async createInvite(accountId, communityId, body) {
      const at = now();
      return store.transaction(async (tx) => {
        const access = await loadAccess(tx, communityId, accountId, at, { lock: true });
        requirePermission(access.permissions, "CREATE_INVITE");
        const maxAge = body.maxAgeSeconds ?? DEFAULT_INVITE_MAX_AGE_SECONDS;
        const invite: CommunityInviteRecord = {
          code: newId(),
          communityId,
          creatorAccountId: accountId,
          createdAt: at,
          expiresAt: maxAge === 0 ? null : at + maxAge * 1000,
          maxUses: body.maxUses ? body.maxUses : null,
          uses: 0,
        };
        await tx.communities.insertInvite(invite);
        await recordAudit(
          tx,
          { communityId, actorAccountId: accountId, action: "invite.create", targetId: invite.code },
          at,
        );
        return inviteView(invite);
      });
    },

    async listInvites(accountId, communityId) {
      const at = now();
      const access = await loadAccess(store, communityId, accountId, at);
      requirePermission(access.permissions, "MANAGE_COMMUNITY");
      const invites = await store.communities.listInvites(communityId);
      return { invites: invites.filter((i) => liveInvite(i, at)).map(inviteView) };
    },

    async revokeInvite(accountId, communityId, code) {
      const at = now();
      await store.transaction(async (tx) => {
        const access = await loadAccess(tx, communityId, accountId, at, { lock: true });
        const invite = await tx.communities.findInvite(code);
        if (!invite || invite.communityId !== communityId) throw invalidInvite(code);
        if (invite.creatorAccountId !== accountId) requirePermission(access.permissions, "MANAGE_COMMUNITY");
        await tx.communities.deleteInvite(code);
        await recordAudit(
          tx,
          { communityId, actorAccountId: accountId, action: "invite.delete", targetId: code },
          at,
        );
      });
      return { ok: true };
    },

    async previewInvite(code) {
      const invite = await store.communities.findInvite(code);
      const community =
        invite && liveInvite(invite, now()) && (await store.communities.find(invite.communityId));
      if (!invite || !community) throw invalidInvite(code);
      return {
        code,
        communityId: community.id,
        name: community.name,
        description: community.description,
        memberCount: await store.communities.countMembers(community.id),
      };
    },

    async join(accountId, code) {
      const at = now();
      const joined = await store.transaction(async (tx) => {
        const invite = await tx.communities.findInvite(code);
        if (!invite) throw invalidInvite(code);
        const { communityId } = invite;
        if (!(await tx.communities.lock(communityId))) throw invalidInvite(code);
        if (!(await tx.communities.findMember(communityId, accountId))) {
          if (await tx.communities.isBanned(communityId, accountId)) {
            throw new VollyError("VOLLY_E_BANNED", undefined, { communityId });
          }
          if (!(await tx.communities.useInvite(code, at))) throw invalidInvite(code);
          await tx.communities.insertMember(communityId, accountId, at);
        }
        return communityView(tx, await loadAccess(tx, communityId, accountId, at), at);
      });
      await aftermath.notify(joined.communityId);
      return joined;
    },
  };
}
