/**
 * The SDK side of the RPC: one {@link VollyClient} opened over the browser's IndexedDB store and
 * WebSocket, its listeners forwarded as events, and the allowed calls of `sdk-surface.ts` made on
 * it. Loaded lazily by the worker (this is where the MLS/crypto code comes in).
 */
import type { CallSignal, DirectPeerFactory, VollyClient } from "@volly/client";
import {
  type BrowserClientOptions,
  createBrowserProfile,
  DEFAULT_BROWSER_DB,
  linkBrowserProfile,
  openBrowserClient,
  recoverBrowserProfile,
} from "@volly/client/browser";
import { VollyError } from "@volly/protocol";
import { communityView } from "./community-view.js";
import { DeviceLinkFlows } from "./device-link-flows.js";
import { workerPeerFactory } from "./direct-peers.js";
import { messageView } from "./message-view.js";
import type {
  ApprovedDevice,
  DeviceLinkClaim,
  LinkThisDevice,
  Me,
  NewProfile,
  OpenedDeviceLink,
  RestoreProfile,
  SdkEvent,
} from "./rpc-types.js";
import { invokeSdk } from "./sdk-calls.js";
import type { SdkCall } from "./sdk-surface.js";
import { type VoiceCalls, voiceCalls } from "./voice-calls.js";

/** Reconnect quickly after a network drop (the UI shows "reconnecting" meanwhile). */
const CLIENT_OPTIONS = { initialBackoffMs: 250, maxBackoffMs: 5_000 };

/** The opened client and the calls on it (`probe` and `warmUp` are answered by the worker entry). */
export class SdkService {
  private client: VollyClient | undefined;
  private readonly links = new DeviceLinkFlows();
  /** The peer factory over the UI's port (one per worker: the port's listener is set once). */
  private peers: DirectPeerFactory | undefined;

  /**
   * @param emit pushes an event to the UI
   * @param directPort the port to the UI thread's WebRTC host (`lib/p2p/browser-peers.ts`), when the
   *   UI handed one over: then the client opens with direct paths (`VollyClientOptions.direct`)
   */
  constructor(
    private readonly emit: (event: SdkEvent) => void,
    private readonly directPort: () => MessagePort | undefined = () => undefined,
  ) {}

  /**
   * The client's options: quick reconnects, and direct paths through the UI thread's WebRTC when it
   * has any (no LAN discovery in a browser). New connections use the server's STUN/TURN servers.
   */
  private options(): BrowserClientOptions {
    const port = this.directPort();
    if (!port) return CLIENT_OPTIONS;
    const iceServers = async () => (this.client ? await this.client.calls.iceServers() : []);
    this.peers ??= workerPeerFactory(port, iceServers);
    return { ...CLIENT_OPTIONS, direct: { peers: this.peers } };
  }

  async createProfile(options: NewProfile): Promise<Me> {
    if (this.client) throw new VollyError("VOLLY_E_PROFILE_EXISTS");
    const client = await createBrowserProfile(
      {
        serverUrl: options.serverUrl,
        handle: options.handle,
        displayName: options.displayName,
        pin: options.pin,
        deviceName: options.deviceName,
        entityType: "human",
      },
      this.options(),
    );
    await this.start(client);
    return this.me();
  }

  async recoverProfile(options: RestoreProfile): Promise<Me> {
    if (this.client) throw new VollyError("VOLLY_E_PROFILE_EXISTS");
    const restored = await recoverBrowserProfile(
      {
        serverUrl: options.serverUrl,
        handle: options.handle,
        recoveryKey: options.recoveryKey,
        pin: options.pin,
        deviceName: options.deviceName,
      },
      this.options(),
    );
    await this.start(restored.client);
    return this.me();
  }

  async unlock(pin: string): Promise<Me> {
    if (this.client) return this.me();
    const client = await openBrowserClient(pin, this.options());
    await this.start(client);
    return this.me();
  }

  /** Links this browser to an existing account (see `SessionApi.link`), then connects. */
  async link(options: LinkThisDevice): Promise<Me> {
    if (this.client) throw new VollyError("VOLLY_E_PROFILE_EXISTS");
    const client = await linkBrowserProfile(
      {
        code: options.code.trim(),
        pin: options.pin,
        deviceName: options.deviceName,
        onClaimed: (claim) => this.emit({ type: "link-claimed", fingerprint: claim.fingerprint }),
      },
      this.options(),
    );
    await this.start(client);
    return this.me();
  }

  /** Closes the client: the outbox is flushed, the store closed, the unlocked keys dropped. */
  async lock(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.close();
  }

  /** Wipes this browser's profile (see `SessionApi.signOut`). */
  async signOut(): Promise<void> {
    const client = this.client;
    if (client) {
      const own = client.profile.deviceId;
      try {
        const devices = await client.devices.list();
        if (devices.some((d) => d.deviceId !== own)) await client.devices.revoke(own);
      } catch {
        // offline or already revoked: the local wipe below is what signing out promises
      }
      await this.lock().catch(() => undefined);
    }
    await new Promise<void>((resolve, reject) => {
      const request = indexedDB.deleteDatabase(DEFAULT_BROWSER_DB);
      request.onsuccess = () => resolve();
      request.onerror = () =>
        reject(new VollyError("VOLLY_E_INTERNAL", "This browser's store could not be wiped."));
    });
  }

  startDeviceLink(): Promise<OpenedDeviceLink> {
    return this.links.start(this.c());
  }

  deviceLinkClaim(linkId: string): Promise<DeviceLinkClaim> {
    return this.links.claim(linkId);
  }

  answerDeviceLink(linkId: string, approve: boolean): Promise<ApprovedDevice | undefined> {
    return this.links.answer(linkId, approve);
  }

  /** Sends one call signal (see `SessionApi.sendCallSignal`). */
  async sendCallSignal(conversationId: string, signal: CallSignal): Promise<void> {
    await this.c().calls.signaling.send(conversationId, signal);
  }

  /** The voice channel calls of {@link SessionApi} on the unlocked client (`voice-calls.ts`). */
  voice(): VoiceCalls {
    return voiceCalls(this.c());
  }

  /** Makes an allowed SDK call on the unlocked client. Throws VOLLY_E_PROFILE_LOCKED before unlock. */
  call(call: SdkCall, args: unknown[]): Promise<unknown> {
    return invokeSdk(this.c(), call, args);
  }

  private c(): VollyClient {
    if (!this.client) throw new VollyError("VOLLY_E_PROFILE_LOCKED");
    return this.client;
  }

  private me(): Me {
    const p = this.c().profile;
    return {
      handle: p.handle,
      ...(p.displayName ? { displayName: p.displayName } : {}),
      ...(p.avatar ? { avatar: p.avatar } : {}),
      accountId: p.accountId,
      deviceId: p.deviceId,
      serverUrl: p.serverUrl,
    };
  }

  /** Wires the SDK's listeners to events and starts the gateway (reconnects on its own). */
  private async start(client: VollyClient): Promise<void> {
    this.client = client;
    client.messaging.received.add((m) => this.emit({ type: "message", message: messageView(m) }));
    client.messaging.updates.add((m) => this.emit({ type: "message-update", message: messageView(m) }));
    client.messaging.actions.add((action) => this.emit({ type: "message-action", action }));
    client.sync.joined.add((conversation) => this.emit({ type: "conversation", conversation }));
    client.conversations.changes.add((conversation) => this.emit({ type: "conversation", conversation }));
    client.typing.changes.add((e) => this.emit({ type: "typing", ...e }));
    client.presence.changes.add((e) => this.emit({ type: "presence", ...e }));
    client.presence.ownChanges.add((status) => this.emit({ type: "own-status", status }));
    client.settings.changes.add((settings) => this.emit({ type: "settings", settings }));
    client.communities.changes.add(({ communityId, community }) =>
      this.emit({
        type: "community",
        communityId,
        ...(community ? { community: communityView(community) } : {}),
      }),
    );
    client.attachments.progress.add((progress) => this.emit({ type: "upload-progress", progress }));
    client.calls.signaling.signals.add((received) => this.emit({ type: "call-signal", received }));
    client.calls.epochChanges.add(({ conversationId, epoch }) =>
      this.emit({ type: "call-epoch", conversationId, epoch }),
    );
    client.communities.voice.voiceStates.add((event) => this.emit({ type: "voice-state", event }));
    client.direct.changes.add((peers) => this.emit({ type: "direct-peers", peers }));
    this.emit({ type: "direct-peers", peers: client.direct.peers() });
    client.connection.stateChanges.add((state) => this.emit({ type: "connection", state }));
    this.emit({ type: "connection", state: client.connection.state });
    // `connect` rather than `connection.start`: it also starts the direct paths' listeners (signals,
    // outbox). Not awaited: the UI follows the connection's state, and a slow first sync (or an
    // offline start) is not an error here; the connection keeps trying on its own.
    void client.connect().catch(() => undefined);
  }
}
