import {
  type AuditLogEntry,
  type CommunityBan,
  type CommunityChannel,
  type CommunityInvite,
  type CommunityMember,
  type CommunityResponse,
  type CommunityRole,
  type CommunitySummary,
  type CreateChannelBody,
  ID_PATTERN,
  type InvitePreviewResponse,
  parsePermissionList,
  serializePermissions,
  type UpdateChannelBody,
  type UpdateCommunityBody,
  VollyError,
} from "@volly/protocol";
import { ownServerNames, serverNameOfUrl, typedHandle } from "../account/server-name.js";
import type { ConversationServices } from "../conversations/conversation-services.js";
import { ListenerSet } from "../shared/listeners.js";
import { unrefTimer } from "../shared/timers.js";
import { ChannelConversations, carriesMessages } from "./channel-conversations.js";
import type {
  Communities,
  CommunityChange,
  CommunityInviteLink,
  CreateCommunityInviteOptions,
  MemberRef,
  OverwriteTarget,
} from "./communities-api.js";
import { communityInviteLinks, parseCommunityInvite } from "./invite-links.js";
import { VoiceChannelsService } from "./voice-channels.js";

/** How long after a reconciliation that left a channel behind it is tried again (ms). */
export const RECONCILE_RETRY_MS = 10_000;
/** Default community invite lifetime: 7 days (ms), as the server's. */
export const DEFAULT_COMMUNITY_INVITE_TTL_MS = 7 * 24 * 3600 * 1000;
const ID = new RegExp(ID_PATTERN);

/**
 * The SDK's {@link Communities} (see there): thin calls of the REST v1 community routes, plus the
 * reconciliation of channel conversations (`ChannelConversations`), serialized one at a time so
 * two COMMUNITY_UPDATEs never join or create the same channel twice on this device.
 */
export class CommunitiesService implements Communities {
  readonly changes = new ListenerSet<CommunityChange>();
  private readonly channels: ChannelConversations;
  private running: Promise<void> = Promise.resolve();
  private readonly retries = new Map<string, ReturnType<typeof setTimeout>>();
  private disposed = false;
  /** Community id → the server hosting it (null: this client's), from the answers seen. */
  private readonly hosts = new Map<string, string | null>();

  /** Voice channels: join, leave, mute, move, and who is in (see `voice-channels.ts`). */
  readonly voice: VoiceChannelsService;

  constructor(private readonly s: ConversationServices) {
    this.channels = new ChannelConversations(s);
    this.voice = new VoiceChannelsService(s.ctx.api, (member) => this.accountIdOf(member));
  }

  private get api() {
    return this.s.ctx.api;
  }

  async create(name: string, description?: string): Promise<CommunityResponse> {
    const body = description === undefined ? { name } : { name, description };
    const created = await this.api.call("createCommunity", { body });
    await this.reconcile(created.communityId);
    return created;
  }

  async list(): Promise<CommunitySummary[]> {
    const { communities } = await this.api.call("listCommunities", {});
    for (const c of communities) this.noteHost(c);
    return communities;
  }

  async get(communityId: string): Promise<CommunityResponse> {
    return this.noteHost(await this.api.call("getCommunity", { params: { communityId } }));
  }

  /** Remembers which server hosts a community (for its invite links). */
  private noteHost<T extends { communityId: string; server?: string }>(community: T): T {
    this.hosts.set(community.communityId, community.server ?? null);
    return community;
  }

  update(communityId: string, changes: UpdateCommunityBody): Promise<CommunityResponse> {
    return this.api.call("updateCommunity", { params: { communityId }, body: changes });
  }

  async delete(communityId: string): Promise<void> {
    await this.api.call("deleteCommunity", { params: { communityId } });
    await this.reconcile(communityId);
  }

  async leave(communityId: string): Promise<void> {
    await this.api.call("leaveCommunity", { params: { communityId } });
    await this.reconcile(communityId);
  }

  async transferOwnership(communityId: string, member: MemberRef): Promise<CommunityResponse> {
    const accountId = await this.accountIdOf(member);
    return this.api.call("transferOwnership", { params: { communityId }, body: { accountId } });
  }

  async createChannel(communityId: string, channel: CreateChannelBody): Promise<CommunityChannel> {
    const created = await this.api.call("createChannel", { params: { communityId }, body: channel });
    if (carriesMessages(created)) await this.reconcile(communityId);
    return created;
  }

  updateChannel(channelId: string, changes: UpdateChannelBody): Promise<CommunityChannel> {
    return this.api.call("updateChannel", { params: { channelId }, body: changes });
  }

  async deleteChannel(channelId: string): Promise<void> {
    const conv = (await this.channels.list()).find((c) => c.channelId === channelId);
    await this.api.call("deleteChannel", { params: { channelId } });
    if (conv?.communityId) await this.reconcile(conv.communityId);
  }

  async setOverwrite(
    channelId: string,
    target: OverwriteTarget,
    allow: readonly string[],
    deny: readonly string[],
  ): Promise<CommunityChannel> {
    const { type, targetId } = await this.targetOf(target);
    return this.api.call("setOverwrite", {
      params: { channelId, targetId },
      body: { type, allow: permissionBits(allow), deny: permissionBits(deny) },
    });
  }

  async deleteOverwrite(channelId: string, target: OverwriteTarget): Promise<CommunityChannel> {
    const { targetId } = await this.targetOf(target);
    return this.api.call("deleteOverwrite", { params: { channelId, targetId } });
  }

  createRole(
    communityId: string,
    role: { name: string; color?: number; permissions?: readonly string[] },
  ): Promise<CommunityRole> {
    const { permissions, ...rest } = role;
    const body = permissions === undefined ? rest : { ...rest, permissions: permissionBits(permissions) };
    return this.api.call("createRole", { params: { communityId }, body });
  }

  updateRole(
    communityId: string,
    roleId: string,
    changes: { name?: string; color?: number; position?: number; permissions?: readonly string[] },
  ): Promise<CommunityRole> {
    const { permissions, ...rest } = changes;
    const body = permissions === undefined ? rest : { ...rest, permissions: permissionBits(permissions) };
    return this.api.call("updateRole", { params: { communityId, roleId }, body });
  }

  async deleteRole(communityId: string, roleId: string): Promise<void> {
    await this.api.call("deleteRole", { params: { communityId, roleId } });
  }

  async assignRole(communityId: string, member: MemberRef, roleId: string): Promise<CommunityMember> {
    const accountId = await this.accountIdOf(member);
    return this.api.call("addMemberRole", { params: { communityId, accountId, roleId } });
  }

  async unassignRole(communityId: string, member: MemberRef, roleId: string): Promise<CommunityMember> {
    const accountId = await this.accountIdOf(member);
    return this.api.call("removeMemberRole", { params: { communityId, accountId, roleId } });
  }

  async kick(communityId: string, member: MemberRef, reason?: string): Promise<void> {
    const accountId = await this.accountIdOf(member);
    await this.api.call("kickMember", {
      params: { communityId, accountId },
      body: reason === undefined ? {} : { reason },
    });
  }

  async ban(communityId: string, account: MemberRef, reason?: string): Promise<void> {
    const accountId = await this.accountIdOf(account);
    await this.api.call("banMember", {
      params: { communityId },
      body: reason === undefined ? { accountId } : { accountId, reason },
    });
  }

  async unban(communityId: string, account: MemberRef): Promise<void> {
    const accountId = await this.accountIdOf(account);
    await this.api.call("unbanMember", { params: { communityId, accountId } });
  }

  async bans(communityId: string): Promise<CommunityBan[]> {
    return (await this.api.call("listBans", { params: { communityId } })).bans;
  }

  async timeout(
    communityId: string,
    member: MemberRef,
    durationMs: number,
    reason?: string,
  ): Promise<CommunityMember> {
    const accountId = await this.accountIdOf(member);
    return this.api.call("timeoutMember", {
      params: { communityId, accountId },
      body: reason === undefined ? { durationMs } : { durationMs, reason },
    });
  }

  async createInvite(
    communityId: string,
    options: CreateCommunityInviteOptions = {},
  ): Promise<CommunityInviteLink> {
    const ttlMs = options.ttlMs ?? DEFAULT_COMMUNITY_INVITE_TTL_MS;
    const body = {
      maxAgeSeconds: Math.ceil(ttlMs / 1000),
      ...(options.maxUses ? { maxUses: options.maxUses } : {}),
    };
    const invite = await this.api.call("createCommunityInvite", { params: { communityId }, body });
    return this.linkOf(invite, await this.hostUrl(communityId));
  }

  async invites(communityId: string): Promise<CommunityInviteLink[]> {
    const { invites } = await this.api.call("listCommunityInvites", { params: { communityId } });
    const server = await this.hostUrl(communityId);
    return invites.map((i) => this.linkOf(i, server));
  }

  /**
   * The URL of the server hosting a community: this client's server, or — for a community of another
   * server (federation) — that server's name with this server's scheme.
   */
  private async hostUrl(communityId: string): Promise<string> {
    const own = this.s.ctx.profile.serverUrl;
    const known = this.hosts.get(communityId);
    const server = known === undefined ? (await this.get(communityId)).server : known;
    return server === undefined || server === null ? own : `${new URL(own).protocol}//${server}`;
  }

  async revokeInvite(communityId: string, code: string): Promise<void> {
    await this.api.call("revokeCommunityInvite", { params: { communityId, code } });
  }

  previewInvite(invite: string): Promise<InvitePreviewResponse> {
    const { code, server } = this.inviteOf(invite);
    return server === undefined
      ? this.api.call("previewCommunityInvite", { params: { code } })
      : this.api.call("previewRemoteCommunityInvite", { params: { server, code } });
  }

  async join(invite: string): Promise<CommunityResponse> {
    const { code, server } = this.inviteOf(invite);
    const joined = this.noteHost(
      server === undefined
        ? await this.api.call("joinCommunity", { params: { code } })
        : await this.api.call("joinRemoteCommunity", { params: { server, code } }),
    );
    await this.reconcile(joined.communityId);
    return joined;
  }

  async auditLog(communityId: string): Promise<AuditLogEntry[]> {
    return (await this.api.call("getAuditLog", { params: { communityId } })).entries;
  }

  reconcile(communityId?: string): Promise<void> {
    const run = this.running.then(() =>
      communityId === undefined ? this.reconcileAll() : this.reconcileOne(communityId),
    );
    this.running = run.catch(() => undefined);
    return run;
  }

  /** Reconciles in the background (failures go to diagnostics as "communities.reconcile"). */
  reconcileInBackground(communityId?: string): void {
    if (this.disposed) return;
    this.reconcile(communityId).catch(this.s.ctx.diagnostics.catcher("communities.reconcile"));
  }

  /** Resolves once every reconciliation started so far has ended. */
  idle(): Promise<void> {
    return this.running;
  }

  async conversationOf(channelId: string): Promise<string> {
    const known = (await this.channels.list()).find((c) => c.channelId === channelId && !c.left);
    if (known) return known.id;
    const communityIds = new Set((await this.list()).map((c) => c.communityId));
    for (const conv of await this.channels.list()) {
      if (conv.channelId === channelId && conv.communityId) communityIds.add(conv.communityId);
    }
    for (const communityId of communityIds) {
      const community = await this.get(communityId).catch(() => undefined);
      const channel = community?.channels.find((c) => c.channelId === channelId && carriesMessages(c));
      if (!channel) continue;
      await this.reconcile(communityId);
      const conv = await this.channels.ensure(communityId, channel, () => this.get(communityId));
      if (conv) return conv.id;
      throw new VollyError(
        "VOLLY_E_FORBIDDEN",
        "The channel has no group yet, and you may not send there to create it.",
        { permission: "SEND_MESSAGES" },
      );
    }
    const former = (await this.channels.list()).find((c) => c.channelId === channelId);
    if (former) {
      throw new VollyError("VOLLY_E_NOT_GROUP_MEMBER", `You no longer have access to ${former.title}.`, {
        channelId,
      });
    }
    throw new VollyError("VOLLY_E_UNKNOWN_CHANNEL", `No channel ${channelId} you may view.`, { channelId });
  }

  private async reconcileAll(): Promise<void> {
    const ids = new Set((await this.list()).map((c) => c.communityId));
    for (const conv of await this.channels.list()) {
      if (conv.communityId && !conv.left) ids.add(conv.communityId);
    }
    for (const id of ids) await this.reconcileOne(id);
  }

  private async reconcileOne(communityId: string): Promise<void> {
    let community: CommunityResponse | undefined;
    try {
      community = await this.get(communityId);
    } catch (err) {
      if (!(err instanceof VollyError && err.code === "VOLLY_E_UNKNOWN_COMMUNITY")) throw err;
    }
    const complete = await this.channels.reconcile(communityId, community, () => this.get(communityId));
    if (!complete) this.retryLater(communityId);
    this.changes.emit(community ? { communityId, community } : { communityId });
  }

  /** Stops the retry timers; no reconciliation starts on its own afterwards. */
  dispose(): void {
    this.disposed = true;
    for (const timer of this.retries.values()) clearTimeout(timer);
    this.retries.clear();
  }

  /** Reconciles a community again in RECONCILE_RETRY_MS (once, however many failures). */
  private retryLater(communityId: string): void {
    if (this.disposed || this.retries.has(communityId)) return;
    const timer = setTimeout(() => {
      this.retries.delete(communityId);
      if (!this.disposed) this.reconcileInBackground(communityId);
    }, RECONCILE_RETRY_MS);
    unrefTimer(timer);
    this.retries.set(communityId, timer);
  }

  /**
   * The account id a {@link MemberRef} names (`@handle` or `@user@server` looked up in the directory,
   * through this client's server; `@user@<this server's name>` is this server's `user`).
   */
  private async accountIdOf(member: MemberRef): Promise<string> {
    const value = member.trim();
    if (value.startsWith("@")) {
      const handle = typedHandle(value, ownServerNames(this.s.ctx.profile));
      return (await this.s.directory.account(handle)).accountId;
    }
    if (ID.test(value)) return value;
    throw new VollyError("VOLLY_E_USAGE", `Expected @handle or an account id, got ${member}`);
  }

  private async targetOf(target: OverwriteTarget): Promise<{ type: "role" | "member"; targetId: string }> {
    if ("roleId" in target) return { type: "role", targetId: target.roleId };
    return { type: "member", targetId: await this.accountIdOf(target.member) };
  }

  /**
   * The code of an invite, and the name of the server it is for when that is another server than
   * this client's (its community is then joined through this client's server, federation).
   */
  private inviteOf(invite: string): { code: string; server?: string } {
    const { code, server } = parseCommunityInvite(invite);
    if (server === undefined) return { code };
    const name = serverNameOfUrl(server);
    return ownServerNames(this.s.ctx.profile).includes(name) ? { code } : { code, server: name };
  }

  private linkOf(invite: CommunityInvite, serverUrl: string): CommunityInviteLink {
    return {
      ...communityInviteLinks(serverUrl, invite.code),
      code: invite.code,
      ...(invite.expiresAt !== undefined ? { expiresAt: invite.expiresAt } : {}),
      ...(invite.maxUses !== undefined ? { maxUses: invite.maxUses } : {}),
      uses: invite.uses,
      creatorAccountId: invite.creatorAccountId,
      createdAt: invite.createdAt,
    };
  }
}

/** Permission names as the server's decimal bit string. Throws VOLLY_E_BAD_REQUEST (details.unknown). */
function permissionBits(names: readonly string[]): string {
  return serializePermissions(parsePermissionList(names.join(",")));
}
