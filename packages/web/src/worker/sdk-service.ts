/**
 * The SDK side of the RPC: one {@link VollyClient} opened over the browser's IndexedDB store and
 * WebSocket, its listeners forwarded as events. Loaded lazily by the worker (this is where the
 * MLS/crypto code comes in).
 */
import type { ConnectionState, VollyClient } from "@volly/client";
import { createBrowserProfile, openBrowserClient } from "@volly/client/browser";
import { VollyError } from "@volly/protocol";
import { messageView, summaryView } from "./message-view.js";
import type {
  AccountEntry,
  ConversationRecord,
  ConversationSummary,
  InviteLinks,
  Me,
  MessageRecord,
  NewProfile,
  PresenceState,
  SafetyNumber,
  SdkApi,
  SdkEvent,
  UserSettings,
} from "./rpc-types.js";

/** Reconnect quickly after a network drop (the UI shows "reconnecting" meanwhile). */
const CLIENT_OPTIONS = { initialBackoffMs: 250, maxBackoffMs: 5_000 };

/** Methods served once the SDK is loaded (`probe` and `warmUp` are answered by the worker entry). */
export class SdkService implements Omit<SdkApi, "probe" | "warmUp"> {
  private client: VollyClient | undefined;

  constructor(private readonly emit: (event: SdkEvent) => void) {}

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
      CLIENT_OPTIONS,
    );
    await this.start(client);
    return this.me();
  }

  async unlock(pin: string): Promise<Me> {
    if (this.client) return this.me();
    const client = await openBrowserClient(pin, CLIENT_OPTIONS);
    await this.start(client);
    return this.me();
  }

  async summaries(): Promise<ConversationSummary[]> {
    return (await this.c().conversations.summaries()).map(summaryView);
  }

  async conversation(conversationId: string): Promise<ConversationRecord> {
    return this.c().conversations.get(conversationId);
  }

  async history(conversationId: string, limit: number): Promise<MessageRecord[]> {
    return (await this.c().messaging.history(conversationId, limit)).map(messageView);
  }

  async send(conversationId: string, text: string): Promise<MessageRecord> {
    return messageView(await this.c().messaging.enqueue(conversationId, text));
  }

  async markRead(conversationId: string): Promise<void> {
    await this.c().messaging.markRead(conversationId);
  }

  async notifyTyping(conversationId: string): Promise<void> {
    this.c().typing.notifyTyping(conversationId);
  }

  async typingIn(conversationId: string): Promise<string[]> {
    return this.c().typing.typingIn(conversationId);
  }

  async presenceOf(handles: string[]): Promise<Record<string, PresenceState>> {
    const presence = this.c().presence;
    return Object.fromEntries(handles.map((h) => [h, presence.statusOf(h)]));
  }

  async setPresence(status: "online" | "away"): Promise<void> {
    this.c().presence.setStatus(status);
  }

  async connectionState(): Promise<ConnectionState> {
    return this.c().connection.state;
  }

  async createInvite(): Promise<InviteLinks> {
    return this.c().invites.create();
  }

  async acceptInvite(link: string): Promise<ConversationRecord> {
    return this.c().invites.accept(link);
  }

  async openDirect(handle: string): Promise<ConversationRecord> {
    return this.c().resolveConversation(`@${handle}`);
  }

  async createGroup(name: string, handles: string[]): Promise<ConversationRecord> {
    return this.c().conversations.createGroup(name, handles);
  }

  async addMembers(conversationId: string, handles: string[]): Promise<ConversationRecord> {
    return this.c().conversations.addMembers(conversationId, handles);
  }

  async removeMember(conversationId: string, handle: string): Promise<ConversationRecord> {
    return this.c().conversations.removeMember(conversationId, handle);
  }

  async renameGroup(conversationId: string, name: string): Promise<ConversationRecord> {
    return this.c().conversations.rename(conversationId, name);
  }

  async groupAdmins(conversationId: string): Promise<string[]> {
    return this.c().conversations.admins(conversationId);
  }

  async leaveGroup(conversationId: string): Promise<void> {
    await this.c().conversations.leave(conversationId);
  }

  async lookup(handle: string): Promise<AccountEntry> {
    return this.c().lookup(handle);
  }

  async getSettings(): Promise<UserSettings> {
    return this.c().settings.get();
  }

  async updateSettings(patch: Partial<UserSettings>): Promise<UserSettings> {
    return this.c().settings.update(patch);
  }

  async safetyNumber(handle: string): Promise<SafetyNumber> {
    return this.c().verification.safetyNumber(handle);
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
    client.sync.joined.add((conversation) => this.emit({ type: "conversation", conversation }));
    client.conversations.changes.add((conversation) => this.emit({ type: "conversation", conversation }));
    client.typing.changes.add((e) => this.emit({ type: "typing", ...e }));
    client.presence.changes.add((e) => this.emit({ type: "presence", ...e }));
    client.connection.stateChanges.add((state) => this.emit({ type: "connection", state }));
    this.emit({ type: "connection", state: client.connection.state });
    client.connection.start();
  }
}
