import {
  type ChannelResponse,
  type CreateChannelBody,
  combinePermissions,
  hasPermission,
  newId,
  type OkResponse,
  PERMISSIONS,
  parsePermissions,
  permissionsOf,
  type SetOverwriteBody,
  type UpdateChannelBody,
  VollyError,
} from "@volly/protocol";
import type { ChannelRecord, OverwriteRecord } from "../../store/community-types.js";
import type { Repositories } from "../../store/types.js";
import type { ServiceContext } from "../context.js";
import { recordAudit } from "./audit.js";
import { DEFAULT_HISTORY_POLICY } from "./communities-service.js";
import {
  type CommunityAccess,
  isUnknownChannel,
  loadAccess,
  loadChannel,
  loadChannelAccess,
  requireEvery,
  requirePermission,
} from "./community-access.js";
import type { CommunityAftermath } from "./community-aftermath.js";
import { channelView } from "./community-views.js";

/**
 * Channels and categories of a community, and their permission overwrites (Discord's channel
 * resource). Channel settings need MANAGE_CHANNELS in the channel; overwrites need MANAGE_ROLES there,
 * and one may only allow or deny permissions one has (as in Discord).
 */
export interface ChannelService {
  /**
   * Creates a channel or category. `private` denies VIEW_CHANNEL to @everyone and allows it to the
   * creator; an announcement channel denies SEND_MESSAGES to @everyone.
   * @throws VOLLY_E_UNKNOWN_COMMUNITY, VOLLY_E_FORBIDDEN (MANAGE_CHANNELS), VOLLY_E_BAD_REQUEST
   *   (details.field "parentId": not a category of this community)
   */
  create(accountId: string, communityId: string, body: CreateChannelBody): Promise<ChannelResponse>;
  /**
   * Updates a channel; a new position or parent re-orders its siblings 0…n-1 (Discord's positions).
   * @throws VOLLY_E_UNKNOWN_CHANNEL, VOLLY_E_FORBIDDEN (MANAGE_CHANNELS), VOLLY_E_BAD_REQUEST
   */
  update(accountId: string, channelId: string, body: UpdateChannelBody): Promise<ChannelResponse>;
  /**
   * Deletes a channel; its group's devices all depart; a category's channels move to the top level.
   * @throws VOLLY_E_UNKNOWN_CHANNEL, VOLLY_E_FORBIDDEN (MANAGE_CHANNELS)
   */
  delete(accountId: string, channelId: string): Promise<OkResponse>;
  /**
   * Sets a role's (targetId = role id; the community's id for @everyone) or member's overwrite;
   * devices of members who lose VIEW_CHANNEL depart the channel's group.
   * @throws VOLLY_E_UNKNOWN_CHANNEL, VOLLY_E_FORBIDDEN (MANAGE_ROLES, or a permission the caller lacks
   *   in details.permission), VOLLY_E_UNKNOWN_ROLE, VOLLY_E_NOT_COMMUNITY_MEMBER, VOLLY_E_BAD_REQUEST
   */
  setOverwrite(
    accountId: string,
    channelId: string,
    targetId: string,
    body: SetOverwriteBody,
  ): Promise<ChannelResponse>;
  /** Removes an overwrite. @throws VOLLY_E_UNKNOWN_CHANNEL, VOLLY_E_FORBIDDEN (MANAGE_ROLES) */
  deleteOverwrite(accountId: string, channelId: string, targetId: string): Promise<ChannelResponse>;
}

const PRIVATE_CREATOR_ALLOW = permissionsOf(["VIEW_CHANNEL", "SEND_MESSAGES", "READ_MESSAGE_HISTORY"]);

async function checkParent(
  tx: Repositories,
  communityId: string,
  parentId: string | null | undefined,
): Promise<void> {
  if (parentId === undefined || parentId === null) return;
  const parent = await tx.communities.findChannel(parentId);
  if (!parent || parent.communityId !== communityId || parent.type !== "category") {
    throw new VollyError("VOLLY_E_BAD_REQUEST", "parentId must be a category of this community.", {
      field: "parentId",
    });
  }
}

/**
 * Puts a channel at `position` (default: last) among its new siblings and renumbers them 0…n-1, as
 * Discord's channel positions, and closes the gap it left among its old siblings; the community's
 * row lock serialises concurrent moves, so every node ends with the same order. Categories are
 * siblings of the top-level channels.
 *
 * @param channel the channel as it was before the move (its old parent)
 */
async function moveChannel(
  tx: Repositories,
  channel: ChannelRecord,
  parentId: string | null,
  position: number | undefined,
): Promise<void> {
  await renumberSiblings(tx, channel.communityId, parentId, { channel, position });
  if (channel.parentId !== parentId) await renumberSiblings(tx, channel.communityId, channel.parentId);
}

/** Renumbers the channels under `parentId` 0…n-1 in their order, with `insert` placed at its index. */
async function renumberSiblings(
  tx: Repositories,
  communityId: string,
  parentId: string | null,
  insert?: { channel: ChannelRecord; position: number | undefined },
): Promise<void> {
  const siblings = (await tx.communities.listChannels(communityId)).filter(
    (c) => c.id !== insert?.channel.id && c.parentId === parentId,
  );
  const ordered = [...siblings];
  if (insert) {
    const index = Math.min(insert.position ?? siblings.length, siblings.length);
    ordered.splice(index, 0, insert.channel);
  }
  for (const [i, c] of ordered.entries()) {
    if (c.position !== i || c.id === insert?.channel.id)
      await tx.communities.updateChannel(c.id, { position: i });
  }
}

/** Builds the {@link ChannelService}. */
export function createChannelService(
  { store, now }: ServiceContext,
  aftermath: CommunityAftermath,
): ChannelService {
  /** Runs `fn` with the caller's access and the channel, in one transaction with the community locked. */
  const withChannel = async <T>(
    accountId: string,
    channelId: string,
    fn: (
      tx: Repositories,
      access: CommunityAccess,
      found: { channel: ChannelRecord; overwrites: OverwriteRecord[]; permissions: number },
      at: number,
    ) => Promise<T>,
  ): Promise<T> => {
    const at = now();
    return store.transaction(async (tx) => {
      const { access, ...found } = await loadChannelAccess(tx, channelId, accountId, at, { lock: true });
      return fn(tx, access, found, at);
    });
  };
  const viewOf = async (tx: Repositories, access: CommunityAccess, channelId: string, at: number) => {
    const { channel, overwrites, permissions } = await loadChannel(tx, channelId, access, at);
    return channelView(channel, overwrites, permissions);
  };
  /**
   * Changes an overwrite (MANAGE_ROLES in the channel), records it, departs who lost access, and
   * answers with the channel as the caller still sees it.
   */
  const changeOverwrite = async (
    accountId: string,
    channelId: string,
    action: "overwrite.set" | "overwrite.delete",
    change: (
      tx: Repositories,
      access: CommunityAccess,
      channel: ChannelRecord,
      permissions: number,
    ) => Promise<void>,
  ): Promise<ChannelResponse> => {
    const result = await withChannel(
      accountId,
      channelId,
      async (tx, access, { channel, permissions }, at) => {
        requirePermission(permissions, "MANAGE_ROLES");
        await change(tx, access, channel, permissions);
        const { communityId } = channel;
        await recordAudit(tx, { communityId, actorAccountId: accountId, action, targetId: channelId }, at);
        // The caller may have hidden the channel from themselves: answer with what they still see.
        const view = await viewOf(tx, access, channelId, at).catch((error: unknown) => {
          if (isUnknownChannel(error)) return undefined;
          throw error;
        });
        return { communityId, view };
      },
    );
    await aftermath.settle(result.communityId);
    if (!result.view) throw new VollyError("VOLLY_E_UNKNOWN_CHANNEL", undefined, { channelId });
    return result.view;
  };
  return {
    async create(accountId, communityId, body) {
      const at = now();
      const result = await store.transaction(async (tx) => {
        const access = await loadAccess(tx, communityId, accountId, at, { lock: true });
        requirePermission(access.permissions, "MANAGE_CHANNELS");
        const type = body.type ?? "text";
        const parentId = type === "category" ? null : (body.parentId ?? null);
        await checkParent(tx, communityId, parentId);
        const siblings = (await tx.communities.listChannels(communityId)).filter(
          (c) => c.parentId === parentId,
        );
        const channel: ChannelRecord = {
          id: newId(),
          communityId,
          type,
          name: body.name,
          topic: body.topic ?? "",
          parentId,
          position: siblings.reduce((max, c) => Math.max(max, c.position + 1), 0),
          groupId: null,
          historyPolicy:
            body.historyPolicy !== undefined
              ? JSON.stringify(body.historyPolicy)
              : type === "category"
                ? JSON.stringify({ kind: "none" })
                : DEFAULT_HISTORY_POLICY,
          createdAt: at,
        };
        await tx.communities.insertChannel(channel);
        const everyoneDeny = combinePermissions(
          body.private ? PERMISSIONS.VIEW_CHANNEL : 0,
          type === "announcement" ? PERMISSIONS.SEND_MESSAGES : 0,
        );
        if (everyoneDeny !== 0) {
          await tx.communities.putOverwrite({
            channelId: channel.id,
            targetId: communityId,
            targetType: "role",
            allow: 0,
            deny: everyoneDeny,
          });
        }
        if (body.private) {
          await tx.communities.putOverwrite({
            channelId: channel.id,
            targetId: accountId,
            targetType: "member",
            allow: PRIVATE_CREATOR_ALLOW,
            deny: 0,
          });
        }
        await recordAudit(
          tx,
          { communityId, actorAccountId: accountId, action: "channel.create", targetId: channel.id },
          at,
        );
        return viewOf(tx, access, channel.id, at);
      });
      await aftermath.notify(communityId);
      return result;
    },

    async update(accountId, channelId, body) {
      const result = await withChannel(
        accountId,
        channelId,
        async (tx, access, { channel, permissions }, at) => {
          requirePermission(permissions, "MANAGE_CHANNELS");
          if (body.parentId !== undefined && channel.type === "category" && body.parentId !== null) {
            throw new VollyError("VOLLY_E_BAD_REQUEST", "A category cannot sit in a category.", {
              field: "parentId",
            });
          }
          await checkParent(tx, channel.communityId, body.parentId);
          await tx.communities.updateChannel(channelId, {
            ...(body.name !== undefined ? { name: body.name } : {}),
            ...(body.topic !== undefined ? { topic: body.topic } : {}),
            ...(body.parentId !== undefined ? { parentId: body.parentId } : {}),
            ...(body.historyPolicy !== undefined
              ? { historyPolicy: JSON.stringify(body.historyPolicy) }
              : {}),
          });
          if (body.position !== undefined || body.parentId !== undefined) {
            const parentId = body.parentId !== undefined ? body.parentId : channel.parentId;
            await moveChannel(tx, channel, parentId, body.position);
          }
          await recordAudit(
            tx,
            {
              communityId: channel.communityId,
              actorAccountId: accountId,
              action: "channel.update",
              targetId: channelId,
            },
            at,
          );
          return { communityId: channel.communityId, view: await viewOf(tx, access, channelId, at) };
        },
      );
      await aftermath.notify(result.communityId);
      return result.view;
    },

    async delete(accountId, channelId) {
      const deleted = await withChannel(
        accountId,
        channelId,
        async (tx, _access, { channel, permissions }, at) => {
          requirePermission(permissions, "MANAGE_CHANNELS");
          await tx.communities.deleteChannel(channelId);
          await renumberSiblings(tx, channel.communityId, channel.parentId);
          // a deleted category's channels moved to the top level: number them after the others there
          if (channel.type === "category") await renumberSiblings(tx, channel.communityId, null);
          await recordAudit(
            tx,
            {
              communityId: channel.communityId,
              actorAccountId: accountId,
              action: "channel.delete",
              targetId: channelId,
            },
            at,
          );
          return channel;
        },
      );
      await aftermath.settle(deleted.communityId, {
        emptiedGroups: deleted.groupId !== null ? [deleted.groupId] : [],
      });
      return { ok: true };
    },

    async setOverwrite(accountId, channelId, targetId, body) {
      const allow = parsePermissions(body.allow, "allow");
      const deny = parsePermissions(body.deny, "deny");
      if (hasPermission(combinePermissions(allow, deny), "ADMINISTRATOR")) {
        // Discord refuses it too: ADMINISTRATOR is community-wide, an overwrite is per channel.
        throw new VollyError("VOLLY_E_BAD_REQUEST", "ADMINISTRATOR cannot be overwritten in a channel.", {
          field: "allow",
        });
      }
      return changeOverwrite(
        accountId,
        channelId,
        "overwrite.set",
        async (tx, access, channel, permissions) => {
          if (!hasPermission(access.permissions, "ADMINISTRATOR")) {
            requireEvery(
              permissions,
              combinePermissions(allow, deny),
              "You cannot grant or deny a permission you lack.",
            );
          }
          if (body.type === "role") {
            if (!access.roles.some((r) => r.id === targetId)) {
              throw new VollyError("VOLLY_E_UNKNOWN_ROLE", undefined, { roleId: targetId });
            }
          } else if (!(await tx.communities.findMember(channel.communityId, targetId))) {
            throw new VollyError("VOLLY_E_NOT_COMMUNITY_MEMBER", undefined, { accountId: targetId });
          }
          await tx.communities.putOverwrite({ channelId, targetId, targetType: body.type, allow, deny });
        },
      );
    },

    deleteOverwrite: (accountId, channelId, targetId) =>
      changeOverwrite(accountId, channelId, "overwrite.delete", async (tx) => {
        await tx.communities.deleteOverwrite(channelId, targetId);
      }),
  };
}
