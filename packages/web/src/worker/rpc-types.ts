/**
 * The typed RPC between the UI thread and the SDK worker. The UI calls methods of {@link SdkApi}
 * (request/response matched by id); the worker pushes {@link SdkEvent}s for the SDK's listeners.
 * Everything crossing the boundary is structured-cloneable plain data; errors cross as
 * {@link WireError} (a VollyError's `{code, message, details}`).
 */
import type {
  ConnectionState,
  ConversationRecord,
  InviteLinks,
  PresenceState,
  SafetyNumber,
  ConversationSummary as SdkConversationSummary,
  MessageRecord as SdkMessageRecord,
  UserSettings,
} from "@volly/client";
import type { AccountEntry } from "@volly/protocol";

export type {
  ConnectionState,
  ConversationMember,
  ConversationRecord,
  InviteLinks,
  MembershipBody,
  MembershipChange,
  MembershipEnd,
  MembershipParty,
  MessageBody,
  PresenceState,
  SafetyNumber,
  UserSettings,
} from "@volly/client";

/**
 * A message as the UI renders it: the SDK's record plus `text`, its text body ("" for a body of
 * another kind: a membership event, rendered from `body`). Made by the worker (`message-view.ts`),
 * so components read `message.text`.
 */
export type MessageRecord = SdkMessageRecord & { text: string };

/** A conversation list entry whose last message is a {@link MessageRecord} view. */
export type ConversationSummary = Omit<SdkConversationSummary, "lastMessage"> & {
  lastMessage?: MessageRecord;
};
export type { AccountEntry, DeviceEntry } from "@volly/protocol";

/** Who this device is, as the UI needs it (no keys). */
export interface Me {
  handle: string;
  displayName?: string;
  accountId: string;
  deviceId: string;
  serverUrl: string;
}

/** What onboarding collects. */
export interface NewProfile {
  serverUrl: string;
  handle: string;
  displayName: string;
  pin: string;
  deviceName: string;
}

/** Every method the worker serves. Arguments and results are plain data. */
export interface SdkApi {
  /** Cheap: whether this browser holds a profile (does not load the crypto SDK). */
  probe(): Promise<{ hasProfile: boolean }>;
  /** Starts loading the crypto SDK in the background (call on the user's first input). */
  warmUp(): Promise<void>;
  createProfile(options: NewProfile): Promise<Me>;
  /** Unlocks with the PIN. VOLLY_E_WRONG_PIN carries `details.retryAfterMs`. */
  unlock(pin: string): Promise<Me>;
  summaries(): Promise<ConversationSummary[]>;
  conversation(conversationId: string): Promise<ConversationRecord>;
  history(conversationId: string, limit: number): Promise<MessageRecord[]>;
  /** Queues a text message; returns the pending record at once. */
  send(conversationId: string, text: string): Promise<MessageRecord>;
  markRead(conversationId: string): Promise<void>;
  notifyTyping(conversationId: string): Promise<void>;
  typingIn(conversationId: string): Promise<string[]>;
  presenceOf(handles: string[]): Promise<Record<string, PresenceState>>;
  setPresence(status: "online" | "away"): Promise<void>;
  connectionState(): Promise<ConnectionState>;
  createInvite(): Promise<InviteLinks>;
  acceptInvite(link: string): Promise<ConversationRecord>;
  openDirect(handle: string): Promise<ConversationRecord>;
  createGroup(name: string, handles: string[]): Promise<ConversationRecord>;
  addMembers(conversationId: string, handles: string[]): Promise<ConversationRecord>;
  removeMember(conversationId: string, handle: string): Promise<ConversationRecord>;
  renameGroup(conversationId: string, name: string): Promise<ConversationRecord>;
  /** Account ids of the group's admins (only they may add or remove other people). */
  groupAdmins(conversationId: string): Promise<string[]>;
  leaveGroup(conversationId: string): Promise<void>;
  lookup(handle: string): Promise<AccountEntry>;
  getSettings(): Promise<UserSettings>;
  updateSettings(patch: Partial<UserSettings>): Promise<UserSettings>;
  safetyNumber(handle: string): Promise<SafetyNumber>;
}

export type SdkMethod = keyof SdkApi;
export type SdkArgs<M extends SdkMethod> = Parameters<SdkApi[M]>;
export type SdkResult<M extends SdkMethod> = Awaited<ReturnType<SdkApi[M]>>;

/** Events pushed by the worker (the SDK's listeners). */
export type SdkEvent =
  | { type: "message"; message: MessageRecord }
  | { type: "message-update"; message: MessageRecord }
  | { type: "typing"; conversationId: string; handles: string[] }
  | { type: "presence"; handle: string; status: PresenceState }
  | { type: "connection"; state: ConnectionState }
  | { type: "conversation"; conversation: ConversationRecord };

/** A VollyError as it crosses the boundary. */
export interface WireError {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

/** UI → worker. */
export type RpcRequest = {
  [M in SdkMethod]: { kind: "request"; id: number; method: M; args: SdkArgs<M> };
}[SdkMethod];

/** Worker → UI. */
export type RpcResponse =
  | { kind: "response"; id: number; ok: true; value: unknown }
  | { kind: "response"; id: number; ok: false; error: WireError };

export type WorkerMessage = RpcResponse | { kind: "event"; event: SdkEvent };

/** Turns anything thrown into a {@link WireError}. */
export function toWireError(err: unknown): WireError {
  if (err && typeof err === "object") {
    const e = err as { code?: unknown; message?: unknown; details?: unknown };
    const code = typeof e.code === "string" && e.code.startsWith("VOLLY_E_") ? e.code : "VOLLY_E_INTERNAL";
    const message = typeof e.message === "string" ? e.message : "Something went wrong.";
    const details =
      e.details && typeof e.details === "object" ? (e.details as Record<string, unknown>) : undefined;
    return details ? { code, message, details } : { code, message };
  }
  return { code: "VOLLY_E_INTERNAL", message: String(err) };
}
