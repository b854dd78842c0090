import { sign } from "@volly/crypto";
import { AccountProfileService } from "./account/account-profile.js";
import { AccountSyncService } from "./account/account-sync/account-sync.js";
import { DevicesService } from "./account/devices.js";
import { KeyPackagePoolService } from "./account/key-package-pool.js";
import { profileServerUrls } from "./account/profile.js";
import { profileAnnouncement } from "./account/profile-announce.js";
import { RecoveryService } from "./account/recovery.js";
import { ownServerNames } from "./account/server-name.js";
import { SettingsService } from "./account/settings.js";
import { VerificationService } from "./account/verification.js";
import { ApiKeysService } from "./api-keys/api-keys.js";
import { AttachmentOutbox } from "./attachments/attachment-outbox.js";
import { AttachmentSources } from "./attachments/attachment-sources.js";
import { AttachmentsService } from "./attachments/attachments.js";
import { CallsService } from "./calls/calls.js";
import { IceServersService } from "./calls/ice-servers.js";
import { CallSignalingService } from "./calls/signaling.js";
import { ChannelHistory } from "./communities/channel-history.js";
import { CommunitiesService } from "./communities/communities.js";
import { CommunityReads } from "./communities/community-reads.js";
import type { ConversationServices } from "./conversations/conversation-services.js";
import { ConversationState } from "./conversations/conversation-state.js";
import { ConversationsService } from "./conversations/conversations.js";
import { createSelfConversation } from "./conversations/creation.js";
import { Departures } from "./conversations/departures.js";
import { Directory } from "./conversations/directory.js";
import { GroupCommits } from "./conversations/group-commits.js";
import { InvitesService } from "./conversations/invites.js";
import { MembershipTimeline } from "./conversations/membership-timeline.js";
import { TimelineSummaries } from "./conversations/timeline-summaries.js";
import { ActionCommands } from "./messaging/actions/action-commands.js";
import { ChannelModeration } from "./messaging/actions/channel-moderation.js";
import { MessageActions } from "./messaging/actions/message-actions.js";
import { ACTION_RULES } from "./messaging/content/action-rules.js";
import { DeliveryLog } from "./messaging/delivery-log.js";
import { EphemeralIncoming } from "./messaging/ephemeral-incoming.js";
import { IncomingMessages } from "./messaging/incoming.js";
import { LinkPreviews } from "./messaging/link-preview/link-previews.js";
import { MentionChecks } from "./messaging/mention-checks.js";
import { MessageEvents } from "./messaging/message-events.js";
import { MessagingService } from "./messaging/messaging.js";
import { Outbox } from "./messaging/outbox.js";
import { Receipts } from "./messaging/receipts.js";
import { TypingService } from "./messaging/typing.js";
import { NotificationsService } from "./notifications/notifications.js";
import { DirectPathsService } from "./p2p/direct-paths.js";
import { PresenceService } from "./presence/presence.js";
import { ScheduledService } from "./scheduled/scheduled.js";
import { SearchService } from "./search/search.js";
import type { ClientContext } from "./shared/client-context.js";
import type { DiagnosticsService } from "./shared/diagnostics.js";
import { KeyedQueue } from "./shared/keyed-queue.js";
import { SyncService } from "./sync/sync.js";
import { ThreadsService } from "./threads/threads.js";
import { GatewayConnectionService } from "./transport/gateway-connection.js";
import type { VollyClientOptions } from "./volly-client.js";

/**
 * Every service of one client as the SDK's own classes, internal members included. `VollyClient`
 * offers the public services typed by their interfaces; this is what it (and
 * `@volly/client/testing`) reaches behind them. Internal: never exported by `index.ts`.
 */
export interface ClientServices {
  ctx: ClientContext;
  /** Serializes all work on one conversation's group state (shared by every service). */
  queue: KeyedQueue;
  outbox: Outbox;
  conversations: ConversationsService;
  messaging: MessagingService;
  invites: InvitesService;
  communities: CommunitiesService;
  channelHistory: ChannelHistory;
  keyPackages: KeyPackagePoolService;
  sync: SyncService;
  connection: GatewayConnectionService;
  presence: PresenceService;
  typing: TypingService;
  settings: SettingsService;
  verification: VerificationService;
  recovery: RecoveryService;
  devices: DevicesService;
  apiKeys: ApiKeysService;
  account: AccountProfileService;
  accountSync: AccountSyncService;
  search: SearchService;
  notifications: NotificationsService;
  threads: ThreadsService;
  scheduled: ScheduledService;
  attachments: AttachmentsService;
  calls: CallsService;
  direct: DirectPathsService;
  diagnostics: DiagnosticsService;
}

/**
 * Builds the services of one open profile and wires them together: one per-conversation queue, one
 * outbox and one commit pipeline shared by all, the gateway's dispatches handed to `sync`, presence
 * re-sent on each connection, account sync reconciled after each SYNCED and channel history shared
 * with devices that join (listeners only). No connection or timer is started.
 */
export function wireServices(ctx: ClientContext, options: VollyClientOptions): ClientServices {
  const queue = new KeyedQueue();
  // One cache of community reads for the checks only clients make (history sharing, moderation).
  const communityReads = new CommunityReads(ctx.api);
  const directory = new Directory(ctx);
  const state = new ConversationState(ctx, queue);
  const outbox = new Outbox(ctx, queue, {
    notMember: async (id) => {
      await state.markLeft(id);
    },
    sendOverGateway: (groupId, body) => connection.sendMessage(groupId, body),
    preamble: (conv) => profileAnnouncement(ctx, conv),
  });
  const events = new MessageEvents();
  const timeline = new MembershipTimeline(ctx, events);
  const commits = new GroupCommits(ctx, queue, directory, state, timeline);
  const conversationServices: ConversationServices = {
    ctx,
    queue,
    directory,
    outbox,
    state,
    commits,
    departures: new Departures(ctx, commits),
    timeline,
    summaries: new TimelineSummaries(ctx.stores),
  };
  const conversations = new ConversationsService(conversationServices);
  const communities = new CommunitiesService(conversationServices);
  const channelHistory = new ChannelHistory({
    ctx,
    queue,
    outbox,
    state,
    reads: communityReads,
  });
  const settings = new SettingsService(ctx.stores);
  const accountSync = new AccountSyncService(ctx, {
    queue,
    outbox,
    conversations,
    createSelf: (id) => createSelfConversation(conversationServices, id),
    settings,
    directory,
  });
  const receipts = new Receipts(ctx, { queue, outbox, settings, conversations });
  const deliveryLog = new DeliveryLog(ctx);
  const actions = new MessageActions(ctx, {
    queue,
    outbox,
    events,
    moderation: new ChannelModeration(communityReads),
    rules: ACTION_RULES,
  });
  const mentions = new MentionChecks(ctx, communityReads);
  const messaging = new MessagingService(ctx, {
    mentions,
    actions,
    commands: new ActionCommands(ctx, actions),
    outbox,
    receipts,
    accountSync,
    conversations: state,
    events,
    deliveryLog,
    previews: new LinkPreviews(settings),
  });
  const sources = new AttachmentSources(ctx.stores.sealed, options.localFiles);
  const attachments = new AttachmentsService(ctx, {
    jobs: new AttachmentOutbox(ctx, { queue, outbox, events, conversations: state, mentions, sources }),
    sources,
    conversations: state,
    events,
    actions,
    ...(options.localFiles ? { files: options.localFiles } : {}),
  });
  const scheduled = new ScheduledService(ctx, {
    queue,
    conversations: state,
    definitions: accountSync,
    ...(options.scheduling?.allowSecondIntervals ? { allowSecondIntervals: true } : {}),
  });
  scheduled.start(accountSync.schedulesChanged);
  outbox.sent.add((m) => scheduled.noteSent(m.conversationId));
  const incoming = new IncomingMessages({
    scheduled,
    ctx,
    queue,
    receipts,
    accountSync,
    conversations: conversationServices,
    channelHistory,
    deliveryLog,
    events,
    actions,
    mentions,
  });
  const ephemeral = new EphemeralIncoming(ctx, queue);
  const calls = new CallsService(ctx, new CallSignalingService(ctx, queue, ephemeral), {
    outbox,
    conversations: state,
    iceServers: new IceServersService(ctx.api),
    queue,
  });
  const keyPackages = new KeyPackagePoolService(ctx.api, ctx.stores, ctx.suite, ctx.identity, {
    accountId: ctx.profile.accountId,
    deviceId: ctx.profile.deviceId,
  });
  const connection: GatewayConnectionService = new GatewayConnectionService({
    url: gatewayUrls(options.serverUrls?.length ? options.serverUrls : profileServerUrls(ctx.profile)),
    deviceId: ctx.profile.deviceId,
    sign: (m) => sign(ctx.identity.signaturePrivateKey, m),
    ...(options.apiKey ? { apiKey: options.apiKey } : {}),
    createSocket: options.createSocket,
    onDispatch: (d) => sync.handle(d),
    onDispatchError: ctx.diagnostics.catcher("sync.dispatch"),
    ...(options.initialBackoffMs !== undefined ? { initialBackoffMs: options.initialBackoffMs } : {}),
    ...(options.maxBackoffMs !== undefined ? { maxBackoffMs: options.maxBackoffMs } : {}),
    ...(options.sendTimeoutMs !== undefined ? { sendTimeoutMs: options.sendTimeoutMs } : {}),
  });
  const presence = new PresenceService({
    accountId: ctx.profile.accountId,
    send: (activity) => connection.sendPresence(activity),
    getStatus: () => ctx.api.call("getPresenceStatus"),
    putStatus: (body) => ctx.api.call("setPresenceStatus", { body }),
  });
  const typing = new TypingService((groupId) => {
    connection.sendTyping(groupId);
    direct.sendTyping(groupId);
  }, ctx.profile.accountId);
  const direct: DirectPathsService = new DirectPathsService(
    { ctx, queue, outbox, incoming, ephemeral, typing, conversationChanges: state.changes },
    options.direct,
  );
  const devices = new DevicesService(ctx, conversations, accountSync);
  const sync: SyncService = new SyncService({
    conversations: conversationServices,
    incoming,
    ephemeral,
    outbox,
    deliveryLog,
    keyPackages,
    presence,
    typing,
    acknowledge: (cursors, welcomeIds) => connection.ack(cursors, welcomeIds),
    diagnostics: ctx.diagnostics,
    resync: () => connection.drop(),
    onDeviceLinkClaimed: (event) => devices.handleClaimed(event),
    // A community changed: read it again and bring the channel conversations in line.
    onCommunityUpdate: (event) => communities.reconcileInBackground(event.communityId),
    onVoiceStateUpdate: (event) => communities.voice.handleDispatch(event),
  });
  // Channels this device is in share their history with devices that join them.
  channelHistory.start();
  sync.synced.add(() => void accountSync.reconcile());
  // Uploads of messages with files go on (after a restart, after a dropped connection).
  sync.synced.add(() => void attachments.resume().catch(ctx.diagnostics.catcher("attachments.resume")));
  // Recurring schedules keep their next occurrences on the server; held ones are re-encrypted.
  sync.synced.add(() => scheduled.syncedInBackground());
  // Access may have changed while this device was away: every community, after every SYNCED.
  sync.synced.add(() => communities.reconcileInBackground());
  connection.stateChanges.add((s) => {
    if (s === "connected") presence.connected();
  });
  const recovery = new RecoveryService(ctx, conversationServices, accountSync);
  // The account backup follows the account document (a no-op on a device without the backup's key).
  recovery.start([conversations.changes, settings.changes]);
  return {
    ctx,
    queue,
    outbox,
    conversations,
    messaging,
    invites: new InvitesService(ctx, conversations),
    communities,
    channelHistory,
    keyPackages,
    sync,
    connection,
    presence,
    typing,
    settings,
    verification: new VerificationService(ctx, accountSync),
    recovery,
    devices,
    apiKeys: new ApiKeysService(ctx.api),
    account: new AccountProfileService(ctx, {
      state,
      outbox,
      sources,
      noteOwnAvatar: (avatar) => accountSync.noteOwnAvatar(avatar),
    }),
    accountSync,
    search: new SearchService(ctx.stores, ctx.diagnostics, () => ownServerNames(ctx.profile)),
    notifications: new NotificationsService({
      settings,
      presence,
      communityOf: async (id) => (await ctx.stores.conversations.get(id))?.communityId,
    }),
    threads: new ThreadsService(ctx.stores, state),
    scheduled,
    attachments,
    calls,
    direct,
    diagnostics: ctx.diagnostics,
  };
}

/** The gateway URL of each server URL: `/v1/gateway` over ws: (wss: for an https: server). */
function gatewayUrls(serverUrls: readonly string[]): string[] {
  return serverUrls.map((base) => {
    const gatewayUrl = new URL("/v1/gateway", base);
    gatewayUrl.protocol = gatewayUrl.protocol === "https:" ? "wss:" : "ws:";
    return gatewayUrl.toString();
  });
}
