import { loadSuite, sign } from "@volly/crypto";
import { type AccountEntry, isValidHandle, VollyError } from "@volly/protocol";
import { AccountSync } from "./account/account-sync/account-sync.js";
import { Devices } from "./account/devices.js";
import { KeyPackagePool } from "./account/key-package-pool.js";
import { profileServerUrls, type UnlockedProfile } from "./account/profile.js";
import { Settings } from "./account/settings.js";
import { Verification } from "./account/verification.js";
import type { ConversationRecord } from "./conversations/conversation-records.js";
import type { ConversationServices } from "./conversations/conversation-services.js";
import { ConversationState } from "./conversations/conversation-state.js";
import { Conversations } from "./conversations/conversations.js";
import { createSelfConversation } from "./conversations/creation.js";
import { Departures } from "./conversations/departures.js";
import { Directory } from "./conversations/directory.js";
import { GroupCommits } from "./conversations/group-commits.js";
import { Invites } from "./conversations/invites.js";
import { MembershipTimeline } from "./conversations/membership-timeline.js";
import { DeliveryLog } from "./messaging/delivery-log.js";
import { IncomingMessages } from "./messaging/incoming.js";
import { MessageEvents } from "./messaging/message-events.js";
import type { MessageRecord } from "./messaging/message-records.js";
import { Messaging } from "./messaging/messaging.js";
import { Outbox } from "./messaging/outbox.js";
import { Receipts } from "./messaging/receipts.js";
import { Typing } from "./messaging/typing.js";
import { Presence } from "./presence/presence.js";
import type { ClientContext } from "./shared/client-context.js";
import { Diagnostics } from "./shared/diagnostics.js";
import { KeyedQueue } from "./shared/keyed-queue.js";
import type { ClientStore } from "./storage/client-store.js";
import { Sync } from "./sync/sync.js";
import { GatewayConnection } from "./transport/gateway-connection.js";
import { HttpApi } from "./transport/http-api.js";
import type { WebSocketFactory } from "./transport/websocket.js";

/**
 * What `@volly/client/testing` reaches inside a client: never part of the public surface
 * (`index.ts` does not list {@link clientInternals}).
 */
export interface ClientInternals {
  ctx: ClientContext;
  queue: KeyedQueue;
  outbox: Outbox;
}

const INTERNALS = new WeakMap<VollyClient, ClientInternals>();

/** The internals of a client, for `@volly/client/testing` only. */
export function clientInternals(client: VollyClient): ClientInternals {
  const internals = INTERNALS.get(client);
  if (!internals) throw new Error("Not a VollyClient.");
  return internals;
}

/** Options of {@link VollyClient.open}. */
export interface VollyClientOptions {
  createSocket: WebSocketFactory;
  /**
   * Server URLs to use for this run instead of the profile's (`profileServerUrls`): the nodes of one scaled
   * deployment, the preferred one first. REST calls and the gateway move to the next URL when the
   * current one cannot be reached (see `HttpApi`, `GatewayConnection`).
   */
  serverUrls?: string[];
  /** Reconnect backoff (ms). */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** How long a message sent over the gateway waits for the server's answer before REST is tried (ms). */
  sendTimeoutMs?: number;
}

/**
 * One unlocked device, composed of small services: `conversations` (direct and group
 * conversations, commits), `messaging` (send, enqueue, history, receipts), `invites`,
 * `keyPackages`, `presence`, `typing`, `settings`, `verification` (safety numbers), `accountSync`
 * (the account's own devices in sync), `devices`, `sync`, the gateway `connection` and
 * `diagnostics`. They share one per-conversation queue, so a send, a commit and the processing of
 * an incoming entry never interleave on one group state. This class only wires them together and
 * offers a few conveniences that span them.
 */
export class VollyClient {
  readonly conversations: Conversations;
  readonly messaging: Messaging;
  readonly invites: Invites;
  readonly keyPackages: KeyPackagePool;
  readonly sync: Sync;
  readonly connection: GatewayConnection;
  readonly presence: Presence;
  readonly typing: Typing;
  readonly settings: Settings;
  readonly verification: Verification;
  /** This account's devices: linking, listing, revoking. */
  readonly devices: Devices;
  /** Keeps contacts, conversation list, read marks and settings in sync across this account's devices. */
  readonly accountSync: AccountSync;
  /**
   * Failures of background work (outbox sends after the call returned, receipts, key package
   * top-ups, account sync, departure commits…), counted by label, with a listener.
   */
  readonly diagnostics: Diagnostics;
  /** Serializes all work on one conversation's group state (shared by every service). */
  private readonly queue = new KeyedQueue();

  private constructor(
    private readonly ctx: ClientContext,
    options: VollyClientOptions,
  ) {
    const queue = this.queue;
    this.diagnostics = ctx.diagnostics;
    const directory = new Directory(ctx);
    const state = new ConversationState(ctx, queue);
    const outbox = new Outbox(ctx, queue, {
      notMember: async (id) => {
        await state.markLeft(id);
      },
      sendOverGateway: (groupId, body) => this.connection.sendMessage(groupId, body),
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
    };
    INTERNALS.set(this, { ctx, queue, outbox });
    this.conversations = new Conversations(conversationServices);
    this.settings = new Settings(ctx.stores);
    this.accountSync = new AccountSync(ctx, {
      queue,
      outbox,
      conversations: this.conversations,
      createSelf: (id) => createSelfConversation(conversationServices, id),
      settings: this.settings,
      directory,
    });
    const receipts = new Receipts(ctx, {
      queue,
      outbox,
      settings: this.settings,
      conversations: this.conversations,
    });
    const deliveryLog = new DeliveryLog(ctx);
    this.messaging = new Messaging(ctx, {
      outbox,
      receipts,
      accountSync: this.accountSync,
      conversations: state,
      events,
      deliveryLog,
    });
    const incoming = new IncomingMessages({
      ctx,
      queue,
      receipts,
      accountSync: this.accountSync,
      conversations: conversationServices,
      deliveryLog,
      events,
    });
    this.invites = new Invites(ctx, this.conversations);
    this.keyPackages = new KeyPackagePool(ctx.api, ctx.stores, ctx.suite, ctx.identity, {
      accountId: ctx.profile.accountId,
      deviceId: ctx.profile.deviceId,
    });
    const gatewayUrls = (
      options.serverUrls?.length ? options.serverUrls : profileServerUrls(ctx.profile)
    ).map((base) => {
      const gatewayUrl = new URL("/v1/gateway", base);
      gatewayUrl.protocol = gatewayUrl.protocol === "https:" ? "wss:" : "ws:";
      return gatewayUrl.toString();
    });
    this.connection = new GatewayConnection({
      url: gatewayUrls,
      deviceId: ctx.profile.deviceId,
      sign: (m) => sign(ctx.identity.signaturePrivateKey, m),
      createSocket: options.createSocket,
      onDispatch: (d) => this.sync.handle(d),
      onDispatchError: ctx.diagnostics.catcher("sync.dispatch"),
      ...(options.initialBackoffMs !== undefined ? { initialBackoffMs: options.initialBackoffMs } : {}),
      ...(options.maxBackoffMs !== undefined ? { maxBackoffMs: options.maxBackoffMs } : {}),
      ...(options.sendTimeoutMs !== undefined ? { sendTimeoutMs: options.sendTimeoutMs } : {}),
    });
    this.presence = new Presence((status) => this.connection.sendPresence(status));
    this.typing = new Typing((groupId) => this.connection.sendTyping(groupId), ctx.profile.accountId);
    this.verification = new Verification(ctx);
    this.devices = new Devices(ctx, this.conversations, this.accountSync);
    this.sync = new Sync({
      conversations: conversationServices,
      incoming,
      outbox,
      deliveryLog,
      keyPackages: this.keyPackages,
      presence: this.presence,
      typing: this.typing,
      acknowledge: (cursors, welcomeIds) => this.connection.ack(cursors, welcomeIds),
      diagnostics: ctx.diagnostics,
      resync: () => this.connection.drop(),
      onDeviceLinkClaimed: (event) => this.devices.handleClaimed(event),
    });
    this.sync.synced.add(() => void this.accountSync.reconcile());
    this.connection.stateChanges.add((state) => {
      if (state === "connected") this.presence.connected();
    });
  }

  /** Wires the services of an unlocked profile (loads its MLS ciphersuite). */
  static async open(unlocked: UnlockedProfile, options: VollyClientOptions): Promise<VollyClient> {
    const api = new HttpApi(
      options.serverUrls?.length ? options.serverUrls : profileServerUrls(unlocked.profile),
      {
        deviceId: unlocked.profile.deviceId,
        sign: (message) => sign(unlocked.identity.signaturePrivateKey, message),
      },
    );
    const ctx: ClientContext = {
      ...unlocked,
      api,
      suite: await loadSuite(unlocked.profile.ciphersuite),
      diagnostics: new Diagnostics(),
    };
    return new VollyClient(ctx, options);
  }

  /**
   * Unlocks (or creates) the profile in `store` with `unlock` and wires the client; with
   * `uploadKeyPackages` (a new profile) it also uploads the first key packages. Closes the store if
   * any step fails, so callers never leak it. Errors are those of `unlock`, or
   * VOLLY_E_SERVER_UNREACHABLE from the upload.
   */
  static async fromStore(
    store: ClientStore,
    unlock: (store: ClientStore) => Promise<UnlockedProfile>,
    options: VollyClientOptions,
    uploadKeyPackages = false,
  ): Promise<VollyClient> {
    try {
      const client = await VollyClient.open(await unlock(store), options);
      if (uploadKeyPackages) await client.keyPackages.topUp();
      return client;
    } catch (err) {
      await store.close();
      throw err;
    }
  }

  /** This device's profile. */
  get profile() {
    return this.ctx.profile;
  }

  /**
   * Signs this device in to the server now (a REST session from a signed nonce), so that an
   * unreachable server or a device the server refuses fails fast, before {@link connect} waits for
   * the gateway. Throws VOLLY_E_SERVER_UNREACHABLE, VOLLY_E_UNKNOWN_DEVICE, VOLLY_E_BAD_SIGNATURE.
   */
  authenticate(): Promise<void> {
    return this.ctx.api.authenticate();
  }

  /**
   * Connects the gateway and resolves once the server's backlog for this device has been processed
   * (first SYNCED). Throws VOLLY_E_SERVER_UNREACHABLE after `timeoutMs`, VOLLY_E_DEVICE_REVOKED when
   * the server refuses this device because it was revoked.
   */
  async connect(timeoutMs = 30_000): Promise<void> {
    const synced = this.sync.nextSynced(timeoutMs);
    let off = () => {};
    const revoked = new Promise<never>((_, reject) => {
      off = this.connection.errors.add((err) => {
        if (err.code === "VOLLY_E_DEVICE_REVOKED") reject(err);
      });
    });
    this.connection.start();
    try {
      await Promise.race([synced, revoked]);
    } finally {
      off();
      // Settled: a timeout after the race was decided is of no interest to anyone.
      synced.catch(() => undefined);
    }
  }

  /**
   * Sends batched delivery receipts, closes the gateway connection, stops background timers and
   * releases the store.
   */
  async close(): Promise<void> {
    await this.accountSync.idle();
    await this.messaging.dispose();
    await this.messaging.flushOutbox().catch(this.ctx.diagnostics.catcher("outbox.flush"));
    await this.connection.stop();
    this.presence.dispose();
    this.typing.dispose();
    await this.queue.idle();
    await this.ctx.stores.clientStore.close();
  }

  /**
   * Looks an account up in the server's directory: device ids and keys, and for this client's own
   * account also device names and creation times. Throws VOLLY_E_UNKNOWN_HANDLE.
   */
  async lookup(handle: string): Promise<AccountEntry> {
    return this.ctx.api.call("getAccount", { withSession: true, params: { handle } });
  }

  /**
   * Resolves a conversation target: `@handle` (opening the direct conversation on first use) or a
   * conversation id. Throws VOLLY_E_UNKNOWN_CONVERSATION, VOLLY_E_UNKNOWN_HANDLE, VOLLY_E_USAGE.
   */
  async resolveConversation(target: string): Promise<ConversationRecord> {
    if (target.startsWith("@")) {
      const handle = target.slice(1);
      if (!isValidHandle(handle)) throw new VollyError("VOLLY_E_HANDLE_INVALID");
      return (
        (await this.conversations.findDirect(handle)) ??
        this.conversations.openDirect(await this.lookup(handle))
      );
    }
    return this.conversations.get(target);
  }

  /** Sends text to `target` (see {@link resolveConversation}); resolves once stored durably. */
  async sendText(target: string, text: string): Promise<MessageRecord> {
    const conv = await this.resolveConversation(target);
    return this.messaging.send(conv.id, text);
  }
}
