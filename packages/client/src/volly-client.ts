import { loadSuite, sign } from "@volly/crypto";
import { type AccountEntry, VollyError } from "@volly/protocol";
import type { AccountProfile } from "./account/account-profile-api.js";
import type { ProfileRecord } from "./account/account-records.js";
import type { AccountSync } from "./account/account-sync/account-sync-api.js";
import type { Devices } from "./account/devices-api.js";
import type { KeyPackagePool } from "./account/key-package-pool-api.js";
import { profileServerUrls, profileStores, type UnlockedProfile } from "./account/profile.js";
import type { Recovery } from "./account/recovery-api.js";
import { ownServerNames, typedHandle } from "./account/server-name.js";
import type { Settings } from "./account/settings-api.js";
import type { Verification } from "./account/verification-api.js";
import type { ApiKeys } from "./api-keys/api-keys-api.js";
import type { FileAttachments } from "./attachments/attachments-api.js";
import type { LocalFiles } from "./attachments/local-files.js";
import type { Calls } from "./calls/calls-api.js";
import { type ClientServices, wireServices } from "./client-services.js";
import type { Communities } from "./communities/communities-api.js";
import type { ConversationRecord } from "./conversations/conversation-records.js";
import type { Conversations } from "./conversations/conversations-api.js";
import type { Invites } from "./conversations/invites-api.js";
import type { MessageRecord } from "./messaging/message-records.js";
import type { Messaging } from "./messaging/messaging-api.js";
import type { Typing } from "./messaging/typing-api.js";
import type { Notifications } from "./notifications/notifications-api.js";
import type { DirectPaths } from "./p2p/direct-api.js";
import type { DirectPathsOptions } from "./p2p/direct-paths.js";
import type { Presence } from "./presence/presence-api.js";
import type { ScheduledMessages } from "./scheduled/scheduled-api.js";
import type { Search } from "./search/search-api.js";
import type { ClientContext } from "./shared/client-context.js";
import { DiagnosticsService } from "./shared/diagnostics.js";
import type { Diagnostics } from "./shared/diagnostics-api.js";
import type { ClientStore } from "./storage/client-store.js";
import type { Sync } from "./sync/sync-api.js";
import type { Threads } from "./threads/threads-api.js";
import type { GatewayConnection } from "./transport/gateway-connection-api.js";
import { HttpApi } from "./transport/http-api.js";
import type { WebSocketFactory } from "./transport/websocket.js";

const INTERNALS = new WeakMap<VollyClient, ClientServices>();

/**
 * The services of a client as the SDK's own classes, internal members included: for
 * `@volly/client/testing` only (`index.ts` does not list it).
 */
export function clientInternals(client: VollyClient): ClientServices {
  const internals = INTERNALS.get(client);
  if (!internals) throw new Error("Not a VollyClient.");
  return internals;
}

/** Options of {@link VollyClient.open} (and of the `openNodeClient`/`openBrowserClient` family). */
export interface VollyClientOptions {
  /** Opens a WebSocket to a gateway URL: `nodeSocketFactory` or `browserSocketFactory`. */
  createSocket: WebSocketFactory;
  /**
   * Server URLs to use for this run instead of the profile's (`profileServerUrls`): the nodes of
   * one scaled deployment, the preferred one first. REST calls and the gateway move to the next URL
   * when the current one cannot be reached.
   */
  serverUrls?: string[];
  /** Ceiling of the first reconnect delay (ms, default 250); see `reconnectDelayMs`. */
  initialBackoffMs?: number;
  /** Cap of the reconnect delay's ceiling (ms, default 30,000). */
  maxBackoffMs?: number;
  /**
   * How long a message sent over the gateway waits for the server's answer before it is sent over
   * REST instead (ms, default 15,000).
   */
  sendTimeoutMs?: number;
  /**
   * Scheduled messages: `allowSecondIntervals` accepts the rule `every Ns` (every N seconds), for
   * tests and demos only. Default false.
   */
  scheduling?: { allowSecondIntervals?: boolean };
  /**
   * Local file access for `client.attachments` (`{ path }` sources, `saveTo`): the Node entry
   * points pass `nodeLocalFiles`; absent in browsers.
   */
  localFiles?: LocalFiles;
  /**
   * An API key of this device's account (`vly_…`, from `client.apiKeys.create` or `volly apikey
   * create`): every REST sign-in and gateway IDENTIFY/RESUME carries it, so the sessions get its
   * scopes and end with its expiry or revocation. The device still signs with its own key: the API
   * key alone authenticates nothing. Once used, the device must always present a key.
   */
  apiKey?: string;
  /**
   * Direct paths to member devices (`client.direct`; issue 17): a WebRTC peer factory, and in Node
   * LAN discovery. Absent: none (every message goes through the server only).
   */
  direct?: DirectPathsOptions;
}

/**
 * One unlocked device: open it with `openNodeClient` / `openBrowserClient` (or `initNodeProfile`,
 * `linkNodeProfile`, … for a new profile), `connect()` it, use its services, `close()` it. The
 * services: `conversations` (direct and group conversations), `messaging` (send, history, read
 * marks), `invites`, `communities`, `keyPackages`, `presence`, `typing`, `settings`, `verification` (safety
 * numbers), `recovery` (recovery key, account backup), `accountSync` (the account's devices in sync), `search` (local full-text search), `notifications` (whether a message notifies; levels and mutes), `threads` (channel threads), `attachments` (files), `calls` (call signaling and records), `direct` (direct paths to member devices), `devices` (linking, listing, revoking), `apiKeys` (keys for bots and services), `account` (the display name),
 * `sync` (deliveries applied), the gateway `connection` and `diagnostics`. They share one
 * per-conversation queue, so a send, a commit and the processing of an incoming entry never
 * interleave on one group state. This class only wires them together and offers a few
 * conveniences that span them.
 */
export class VollyClient {
  /** Direct and group conversations. */
  readonly conversations: Conversations;
  /** Sending and reading messages. */
  readonly messaging: Messaging;
  /** Invite links to a direct conversation with this account. */
  readonly invites: Invites;
  /** Communities (Discord's guilds): channels, roles, moderation, invites; channels as conversations. */
  readonly communities: Communities;
  /** This device's key packages on the server (topped up on its own). */
  readonly keyPackages: KeyPackagePool;
  /** The gateway's deliveries applied to local state: `joined`, `synced`. */
  readonly sync: Sync;
  /** The gateway connection: state, errors, start and stop. */
  readonly connection: GatewayConnection;
  /** Contacts' presence and this device's status. */
  readonly presence: Presence;
  /** Typing indicators. */
  readonly typing: Typing;
  /** The user's settings (synced to this account's devices). */
  readonly settings: Settings;
  /** Safety numbers. */
  readonly verification: Verification;
  /** The account's recovery key and its encrypted backup; rejoining after a restore. */
  readonly recovery: Recovery;
  /** This account's devices: linking, listing, revoking. */
  readonly devices: Devices;
  /** This account's API keys (for its bots and services): create, list, revoke, rotate. */
  readonly apiKeys: ApiKeys;
  /** This account's profile as others see it: the display name. */
  readonly account: AccountProfile;
  /** Keeps contacts, conversation list, read marks and settings in sync across this account's devices. */
  readonly accountSync: AccountSync;
  /** Full-text search over the messages this device has decrypted (local only). */
  readonly search: Search;
  /** Whether a message notifies, and per-conversation and per-community levels and mutes. */
  readonly notifications: Notifications;
  /** Threads in community channels: list, replies, per-thread read marks. */
  readonly threads: Threads;
  /** Messages sent later, once or on a recurring rule, held encrypted by the server until their time. */
  readonly scheduled: ScheduledMessages;
  /** Files, images, video and voice messages: send (encrypted, resumable upload), open, download, gallery. */
  readonly attachments: FileAttachments;
  /** Voice and video calls: signaling (ephemeral, never stored) and the timeline's call records. */
  readonly calls: Calls;
  /** Direct paths to member devices: WebRTC data channels, LAN discovery, relay (when enabled). */
  readonly direct: DirectPaths;
  /**
   * Failures of background work (outbox sends after the call returned, receipts, key package
   * top-ups, account sync, departure commits…), counted by label, with a listener.
   */
  readonly diagnostics: Diagnostics;
  private readonly services: ClientServices;

  private constructor(services: ClientServices) {
    this.services = services;
    this.conversations = services.conversations;
    this.messaging = services.messaging;
    this.invites = services.invites;
    this.communities = services.communities;
    this.keyPackages = services.keyPackages;
    this.sync = services.sync;
    this.connection = services.connection;
    this.presence = services.presence;
    this.typing = services.typing;
    this.settings = services.settings;
    this.verification = services.verification;
    this.recovery = services.recovery;
    this.devices = services.devices;
    this.apiKeys = services.apiKeys;
    this.account = services.account;
    this.accountSync = services.accountSync;
    this.search = services.search;
    this.notifications = services.notifications;
    this.threads = services.threads;
    this.scheduled = services.scheduled;
    this.attachments = services.attachments;
    this.calls = services.calls;
    this.direct = services.direct;
    this.diagnostics = services.diagnostics;
    INTERNALS.set(this, services);
  }

  /**
   * Wires the services of an unlocked profile (loads its MLS ciphersuite). The client is not
   * connected yet: call {@link VollyClient.connect}.
   *
   * @param unlocked what `createProfile`, `unlockProfile` or `linkProfile` returned
   * @throws VollyError VOLLY_E_USAGE (`unlocked` is not what those functions returned); Error when
   *   the profile's ciphersuite is unknown
   */
  static async open(unlocked: UnlockedProfile, options: VollyClientOptions): Promise<VollyClient> {
    const { profile, identity } = unlocked;
    const api = new HttpApi(options.serverUrls?.length ? options.serverUrls : profileServerUrls(profile), {
      deviceId: profile.deviceId,
      sign: (message) => sign(identity.signaturePrivateKey, message),
      ...(options.apiKey ? { apiKey: options.apiKey } : {}),
    });
    const ctx: ClientContext = {
      profile,
      identity,
      stores: profileStores(unlocked),
      api,
      suite: await loadSuite(profile.ciphersuite),
      diagnostics: new DiagnosticsService(),
    };
    return new VollyClient(wireServices(ctx, options));
  }

  /**
   * Unlocks (or creates) the profile in `store` with `unlock` and wires the client; with
   * `uploadKeyPackages` (a new profile) it also uploads the first key packages. Closes the store if
   * any step fails, so callers never leak it.
   *
   * @param unlock opens the profile in `store`, e.g. `(store) => unlockProfile(store, pin)` or
   *   `(store) => createProfile({ ...options, store })`
   * @param uploadKeyPackages upload this device's first key packages (default false)
   * @throws VollyError those of `unlock`, or VOLLY_E_SERVER_UNREACHABLE from the upload
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

  /** This device's profile: handle, account and device ids, server URLs. */
  get profile(): ProfileRecord {
    return this.services.ctx.profile;
  }

  /**
   * Signs this device in to the server now (a REST session from a signed nonce), so that an
   * unreachable server or a device the server refuses fails fast, before {@link VollyClient.connect}
   * waits for the gateway.
   *
   * @throws VollyError VOLLY_E_SERVER_UNREACHABLE, VOLLY_E_UNKNOWN_DEVICE, VOLLY_E_BAD_SIGNATURE
   */
  authenticate(): Promise<void> {
    return this.services.ctx.api.authenticate();
  }

  /**
   * Connects the gateway and resolves once the server's backlog for this device has been processed
   * (the first SYNCED) and the channel conversations were reconciled with the account's communities
   * (`Communities.reconcile`; its failures go to `diagnostics`). The connection then stays up,
   * reconnecting on its own, until {@link VollyClient.close}.
   *
   * @param timeoutMs how long to wait for the backlog (ms, default 30,000)
   * @throws VollyError VOLLY_E_SERVER_UNREACHABLE after `timeoutMs` (the connection keeps trying),
   *   VOLLY_E_DEVICE_REVOKED when the server refuses this device because it was revoked
   */
  async connect(timeoutMs = 30_000): Promise<void> {
    const synced = this.sync.nextSynced(timeoutMs);
    let off = () => {};
    const revoked = new Promise<never>((_, reject) => {
      off = this.connection.errors.add((err) => {
        if (err.code === "VOLLY_E_DEVICE_REVOKED") reject(err);
      });
    });
    this.services.direct.start();
    this.connection.start();
    try {
      await Promise.race([synced, revoked]);
      // The channel conversations follow the account's communities before the caller goes on.
      await this.services.communities.idle();
    } finally {
      off();
      // Settled: a timeout after the race was decided is of no interest to anyone.
      synced.catch(() => undefined);
    }
  }

  /**
   * Waits for account sync, sends the batched delivery receipts and what the outbox holds (a failed
   * send stays queued for next time), closes the gateway connection, stops background timers and
   * releases the store. The client is not usable afterwards.
   */
  async close(): Promise<void> {
    const { accountSync, messaging, connection, presence, typing, queue, ctx } = this.services;
    await accountSync.idle();
    this.services.scheduled.dispose();
    await this.services.scheduled.idle();
    this.services.communities.dispose();
    await this.services.communities.idle();
    // Sharing already decided goes out with the outbox below; turns still waiting are dropped.
    await this.services.channelHistory.idle();
    this.services.channelHistory.dispose();
    // Uploads under way finish (or fail) first: their messages then go out with the outbox below.
    await this.services.attachments.idle();
    this.services.attachments.dispose();
    await messaging.dispose();
    await messaging.flushOutbox().catch(ctx.diagnostics.catcher("outbox.flush"));
    await this.services.direct.close();
    await connection.stop();
    presence.dispose();
    typing.dispose();
    await queue.idle();
    // The account document is final now: the backup (when this device keeps it) goes out with it.
    await this.services.recovery.idle();
    await this.services.search.dispose();
    await ctx.stores.clientStore.close();
  }

  /**
   * Looks an account up in the server's directory: its device ids and keys, and for this client's
   * own account also the devices' names and creation times.
   *
   * @param handle the account's handle as a user types it (`typedHandle`): `bob` or `@Bob` (this
   *   server's; also `bob@<this server's name>`), or `user@server` for another server's account
   *   (looked up through this server)
   * @throws VollyError VOLLY_E_HANDLE_INVALID (not a handle), VOLLY_E_UNKNOWN_HANDLE,
   *   VOLLY_E_SERVER_UNREACHABLE
   */
  async lookup(handle: string): Promise<AccountEntry> {
    const typed = typedHandle(handle, ownServerNames(this.services.ctx.profile));
    return this.services.ctx.api.call("getAccount", { withSession: true, params: { handle: typed } });
  }

  /**
   * Resolves a conversation target: `@handle` or `@user@server` (another server's account; see
   * `typedHandle`), opening the direct conversation with that account on first use; a conversation
   * id; or a community channel's id (its conversation, joined first when this device is not in the
   * channel's group yet; VOLLY_E_NOT_GROUP_MEMBER for a channel it may no longer view).
   *
   * @throws VollyError VOLLY_E_UNKNOWN_CONVERSATION, VOLLY_E_HANDLE_INVALID, VOLLY_E_UNKNOWN_HANDLE,
   *   VOLLY_E_USAGE (this account's own handle), and those of opening a direct conversation:
   *   VOLLY_E_NO_KEY_PACKAGE, VOLLY_E_KEY_PACKAGE_FOREIGN, VOLLY_E_RATE_LIMITED,
   *   VOLLY_E_SERVER_UNREACHABLE
   */
  async resolveConversation(target: string): Promise<ConversationRecord> {
    if (target.startsWith("@")) {
      // `@alice`, or `@alice@b.example` for another server's account.
      const handle = typedHandle(target, ownServerNames(this.services.ctx.profile));
      const { conversations } = this.services;
      return (await conversations.findDirect(handle)) ?? conversations.openDirect(await this.lookup(handle));
    }
    try {
      return await this.conversations.get(target);
    } catch (err) {
      if (!(err instanceof VollyError && err.code === "VOLLY_E_UNKNOWN_CONVERSATION")) throw err;
      // A community channel's id: its conversation on this device (joined first if needed).
      const id = await this.services.communities.conversationOf(target).catch((other: unknown) => {
        throw other instanceof VollyError && other.code === "VOLLY_E_UNKNOWN_CHANNEL" ? err : other;
      });
      return this.conversations.get(id);
    }
  }

  /**
   * Sends text to `target` (see {@link VollyClient.resolveConversation}); resolves once the server
   * stored it durably. Throws as `resolveConversation` and `Messaging.send`.
   */
  async sendText(target: string, text: string): Promise<MessageRecord> {
    const conv = await this.resolveConversation(target);
    return this.messaging.send(conv.id, text);
  }
}
