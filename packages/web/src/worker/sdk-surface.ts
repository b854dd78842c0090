/**
 * What the UI may call in the SDK worker: an explicit allow-list of `VollyClient`'s public
 * services and members ({@link SDK_SURFACE}) plus the worker's own session calls
 * ({@link SESSION_SURFACE}). The UI's proxy is built and typed from these lists
 * ({@link createSdkProxy}, {@link SdkProxy}); the worker resolves every request's path against
 * them ({@link resolveCall}) and answers anything else with a typed error, so no other property of
 * the client (internals, `constructor`, `__proto__`…) can be reached. Loaded on both sides, so it
 * imports the SDK's types only.
 */

import type {
  CallSignal,
  ConversationSummary as SdkConversationSummary,
  MessageRecord as SdkMessageRecord,
  SearchHit as SdkSearchHit,
  ThreadSummary as SdkThreadSummary,
  VollyClient,
} from "@volly/client";
import type {
  CommunityResponse,
  ModerateVoiceBody,
  UpdateSelfVoiceBody,
  VoiceJoinResponse,
  VoiceState,
} from "@volly/protocol";
import type {
  ApprovedDevice,
  CommunityView,
  ConversationSummary,
  DeviceLinkClaim,
  GalleryItem,
  LinkThisDevice,
  Me,
  MessageRecord,
  NewProfile,
  OpenedDeviceLink,
  RestoreProfile,
  SearchHit,
  ThreadSummary,
  WireError,
} from "./rpc-types.js";

/**
 * How a result crosses to the UI (see `result-views.ts`): as the SDK returned it, or through the
 * UI's message views (`message-view.ts`: a message record gains its `text`; search hits carry such
 * a view), or as a community view (`community-view.ts`: permission sets also as names), or as thread
 * views (a thread's root as a message view), or as gallery items (each message as a message view);
 * downloaded bytes ("bytes") and streams of decrypted bytes ("stream") cross as they are, moved
 * rather than copied (`result-transfer.ts`).
 */
export type ResultView =
  | "as-is"
  | "message"
  | "messages"
  | "summaries"
  | "hits"
  | "community"
  | "threads"
  | "gallery"
  | "bytes"
  | "stream";

/** The view a result of type `R` must cross in: SDK message records never cross as they are. */
type ViewFor<R> = R extends Uint8Array
  ? "bytes"
  : R extends ReadableStream<Uint8Array>
    ? "stream"
    : R extends Array<{ message: SdkMessageRecord; attachment: unknown }>
      ? "gallery"
      : ViewForRecords<R>;

/** {@link ViewFor} of message-bearing results. */
type ViewForRecords<R> = R extends SdkMessageRecord
  ? "message"
  : R extends SdkMessageRecord[]
    ? "messages"
    : R extends SdkConversationSummary[]
      ? "summaries"
      : R extends SdkSearchHit[]
        ? "hits"
        : R extends CommunityResponse
          ? "community"
          : R extends SdkThreadSummary[]
            ? "threads"
            : "as-is";

/** A method's awaited result, or a property's value. */
type ResultOf<M> = M extends (...args: never[]) => infer R ? Awaited<R> : M;

/** The shape the allow-list must have: members of `VollyClient` (or of its services) → their view. */
type SurfaceOf<C> = {
  readonly [K in keyof C]?: C[K] extends (...args: never[]) => unknown
    ? ViewFor<ResultOf<C[K]>>
    : { readonly [M in keyof C[K]]?: ViewFor<ResultOf<C[K][M]>> };
};

/**
 * The public SDK surface the web app uses, by service (`conversations.summaries` is
 * `client.conversations.summaries()`), with the view each result crosses in. A member that is not a
 * method (`connection.state`) is read. Checked against `VollyClient`'s public types: a name it does
 * not have, or a message-bearing result without its view, does not compile.
 */
export const SDK_SURFACE = {
  lookup: "as-is",
  resolveConversation: "as-is",
  conversations: {
    summaries: "summaries",
    get: "as-is",
    createGroup: "as-is",
    addMembers: "as-is",
    removeMember: "as-is",
    rename: "as-is",
    admins: "as-is",
    leave: "as-is",
  },
  messaging: {
    history: "messages",
    enqueue: "message",
    markRead: "as-is",
    react: "as-is",
    unreact: "as-is",
    edit: "as-is",
    delete: "as-is",
    pin: "as-is",
    unpin: "as-is",
    pinned: "messages",
  },
  threads: { list: "threads", messages: "messages", markRead: "as-is" },
  typing: { notifyTyping: "as-is", typingIn: "as-is" },
  presence: {
    statusOf: "as-is",
    detailsOf: "as-is",
    setActivity: "as-is",
    setStatus: "as-is",
    refreshStatus: "as-is",
  },
  connection: { state: "as-is" },
  devices: { list: "as-is", revoke: "as-is" },
  account: { setDisplayName: "as-is", setAvatar: "as-is", removeAvatar: "as-is", avatarOf: "as-is" },
  invites: { create: "as-is", accept: "as-is" },
  settings: { get: "as-is", update: "as-is" },
  notifications: { decide: "as-is", rule: "as-is", setLevel: "as-is", mute: "as-is", unmute: "as-is" },
  verification: {
    safetyNumber: "as-is",
    state: "as-is",
    markVerified: "as-is",
    unmarkVerified: "as-is",
    compareScanned: "as-is",
  },
  recovery: { status: "as-is", setUp: "as-is" },
  search: { messages: "hits" },
  attachments: { send: "message", cancel: "as-is", open: "stream", download: "bytes", gallery: "gallery" },
  scheduled: { schedule: "as-is", list: "as-is", cancel: "as-is" },
  communities: {
    create: "community",
    list: "as-is",
    get: "community",
    update: "community",
    delete: "as-is",
    leave: "as-is",
    transferOwnership: "community",
    createChannel: "as-is",
    updateChannel: "as-is",
    deleteChannel: "as-is",
    setOverwrite: "as-is",
    deleteOverwrite: "as-is",
    createRole: "as-is",
    updateRole: "as-is",
    deleteRole: "as-is",
    assignRole: "as-is",
    unassignRole: "as-is",
    kick: "as-is",
    ban: "as-is",
    unban: "as-is",
    bans: "as-is",
    timeout: "as-is",
    createInvite: "as-is",
    invites: "as-is",
    revokeInvite: "as-is",
    previewInvite: "as-is",
    join: "community",
    auditLog: "as-is",
    conversationOf: "as-is",
  },
  calls: { iceServers: "as-is", record: "message", mediaKeys: "as-is" },
  direct: { peers: "as-is", offer: "as-is", counts: "as-is", enabled: "as-is" },
} as const satisfies SurfaceOf<VollyClient>;

/**
 * Calls the worker answers itself (`sdk.session.*`): opening, locking and wiping the profile, and
 * the device-link flows, whose SDK calls take callbacks that cannot cross to the UI.
 */
export interface SessionApi {
  /** Cheap: whether this browser holds a profile (does not load the crypto SDK). */
  probe(): Promise<{ hasProfile: boolean }>;
  /** Starts loading the crypto SDK in the background (call on the user's first input). */
  warmUp(): Promise<void>;
  /** Creates the profile on the server and in IndexedDB, then connects. */
  createProfile(options: NewProfile): Promise<Me>;
  /**
   * Restores an account whose devices are all lost with its recovery key (this browser becomes its
   * device, the others are revoked, conversations are rejoined), then connects.
   */
  recoverProfile(options: RestoreProfile): Promise<Me>;
  /** Unlocks with the PIN, then connects. VOLLY_E_WRONG_PIN carries `details.retryAfterMs`. */
  unlock(pin: string): Promise<Me>;
  /**
   * Links this browser to an existing account with the pairing code its other device shows, then
   * connects. Pushes a "link-claimed" event with this device's key fingerprint once the server took
   * the claim, and resolves after the other device approved. Throws as the SDK's `linkProfile`
   * (VOLLY_E_LINK_INVALID, VOLLY_E_LINK_DECLINED, VOLLY_E_LINK_EXPIRED, VOLLY_E_PIN_INVALID…).
   */
  link(options: LinkThisDevice): Promise<Me>;
  /** Closes the client (the outbox is flushed) and forgets the unlocked keys; unlock again with the PIN. */
  lock(): Promise<void>;
  /**
   * Wipes this browser's profile (the IndexedDB database: keys, conversations, history). When the
   * account has another active device, this device is revoked on the server first (best effort), so
   * it leaves its conversations; the account's only device is not revoked (its recovery stays possible).
   */
  signOut(): Promise<void>;
  /** Opens a device link (pairing code valid 15 minutes) for a new device to claim. */
  startDeviceLink(): Promise<OpenedDeviceLink>;
  /**
   * Resolves once a new device claimed link `linkId` with a proof that checks out (nothing is
   * approved yet). Rejects with VOLLY_E_LINK_EXPIRED when no device claimed it in time.
   */
  deviceLinkClaim(linkId: string): Promise<DeviceLinkClaim>;
  /**
   * Approves (`approve` true: the device is added to every conversation and gets the account state
   * and history) or declines the claim of link `linkId`. Resolves with the new device once approved,
   * undefined once declined. Before a claim, declining cancels the link: a later claim is declined.
   */
  answerDeviceLink(linkId: string, approve: boolean): Promise<ApprovedDevice | undefined>;
  /**
   * Sends one call signal (`client.calls.signaling.send`, a member one level deeper than the
   * allow-list's services): ephemeral MLS content relayed to the conversation's connected devices.
   * Throws as the SDK's `send` (VOLLY_E_USAGE, VOLLY_E_SERVER_UNREACHABLE…).
   */
  sendCallSignal(conversationId: string, signal: CallSignal): Promise<void>;
  /**
   * Joins a community voice channel (`client.communities.voice.join`, one level deeper than the
   * allow-list's services): the SFU room, tokens and ICE servers. Throws as the SDK's `join`
   * (VOLLY_E_SFU_UNAVAILABLE, VOLLY_E_FORBIDDEN details.permission "CONNECT"…).
   */
  voiceJoin(communityId: string, channelId: string): Promise<VoiceJoinResponse>;
  /** Leaves this account's voice channel of the community (`voice.leave`). */
  voiceLeave(communityId: string): Promise<void>;
  /** Sets this account's own mute and deafen (`voice.setSelfMute`/`setSelfDeaf`). Throws VOLLY_E_NOT_IN_VOICE. */
  voiceSelf(communityId: string, change: UpdateSelfVoiceBody): Promise<VoiceState>;
  /**
   * A moderator's server mute, server deafen, move or disconnect of member `accountId` (`voice.serverMute`,
   * `serverDeafen`, `move`, `disconnect`). Throws VOLLY_E_FORBIDDEN (details.permission), VOLLY_E_NOT_IN_VOICE.
   */
  voiceModerate(
    communityId: string,
    accountId: string,
    change: ModerateVoiceBody,
  ): Promise<VoiceState | null>;
  /** Who is in which voice channel of the community (`voice.states`). */
  voiceStates(communityId: string): Promise<VoiceState[]>;
}

/** The allow-list of {@link SessionApi} (every method, nothing else). */
export const SESSION_SURFACE = {
  probe: true,
  warmUp: true,
  createProfile: true,
  recoverProfile: true,
  unlock: true,
  link: true,
  lock: true,
  signOut: true,
  startDeviceLink: true,
  deviceLinkClaim: true,
  answerDeviceLink: true,
  sendCallSignal: true,
  voiceJoin: true,
  voiceLeave: true,
  voiceSelf: true,
  voiceModerate: true,
  voiceStates: true,
} as const satisfies Record<keyof SessionApi, true>;

type Surface = typeof SDK_SURFACE;

/** A result as the UI receives it, after its view. */
type Viewed<V, R> = V extends "message"
  ? MessageRecord
  : V extends "messages"
    ? MessageRecord[]
    : V extends "summaries"
      ? ConversationSummary[]
      : V extends "hits"
        ? SearchHit[]
        : V extends "community"
          ? CommunityView
          : V extends "threads"
            ? ThreadSummary[]
            : V extends "gallery"
              ? GalleryItem[]
              : R;

/** A member of the SDK as the UI calls it: same arguments, the viewed result, always async. */
type Remote<M, V> = M extends (...args: infer A) => infer R
  ? (...args: A) => Promise<Viewed<V, Awaited<R>>>
  : () => Promise<Viewed<V, M>>;

/**
 * The UI's typed proxy of the SDK in the worker: `sdk.conversations.summaries()`,
 * `sdk.messaging.enqueue(conversationId, text)`, `sdk.connection.state()`, `sdk.session.unlock(pin)`.
 * Every call rejects with the SDK's error as an `SdkError` (`{code, message, details}`).
 */
export type SdkProxy = {
  readonly [K in keyof Surface]: Surface[K] extends ResultView
    ? Remote<VollyClient[K], Surface[K]>
    : { readonly [M in keyof Surface[K]]: Remote<VollyClient[K][M & keyof VollyClient[K]], Surface[K][M]> };
} & { readonly session: SessionApi };

/** An allowed call of the SDK: `client[service][member]` (`client[member]` without a service). */
export interface SdkCall {
  kind: "sdk";
  service: string | undefined;
  member: string;
  view: ResultView;
}

/** A request's path once checked against the allow-lists. */
export type ResolvedCall = { kind: "session"; method: keyof SessionApi } | SdkCall;

/** Longest path segment quoted back in an error message. */
const MAX_SEGMENT_CHARS = 64;

/**
 * Checks a request's path (`["conversations", "summaries"]`, `["lookup"]`, `["session", "unlock"]`)
 * against {@link SDK_SURFACE} and {@link SESSION_SURFACE}, own properties only.
 *
 * @returns the call, or a {@link WireError}: VOLLY_E_BAD_REQUEST when `path` is not 1–2 strings,
 *   VOLLY_E_NOT_FOUND when it names nothing on the allow-list
 */
export function resolveCall(path: unknown): ResolvedCall | WireError {
  if (
    !Array.isArray(path) ||
    path.length < 1 ||
    path.length > 2 ||
    !path.every((segment) => typeof segment === "string")
  ) {
    return { code: "VOLLY_E_BAD_REQUEST", message: "An SDK call's path is one or two names." };
  }
  const [first, second] = path as [string, string?];
  if (second !== undefined && first === "session") {
    if (Object.hasOwn(SESSION_SURFACE, second))
      return { kind: "session", method: second as keyof SessionApi };
  } else if (Object.hasOwn(SDK_SURFACE, first)) {
    const entry: unknown = SDK_SURFACE[first as keyof Surface];
    if (second === undefined && typeof entry === "string") {
      return { kind: "sdk", service: undefined, member: first, view: entry as ResultView };
    }
    if (second !== undefined && typeof entry === "object" && entry !== null && Object.hasOwn(entry, second)) {
      const view = (entry as Record<string, ResultView>)[second] as ResultView;
      return { kind: "sdk", service: first, member: second, view };
    }
  }
  const name = path.map((segment: string) => segment.slice(0, MAX_SEGMENT_CHARS)).join(".");
  return { code: "VOLLY_E_NOT_FOUND", message: `The SDK worker serves no call named "${name}".` };
}

/** True when {@link resolveCall} refused the path. */
export function isWireError(value: ResolvedCall | WireError): value is WireError {
  return "code" in value;
}

/**
 * Builds the UI's {@link SdkProxy} from the allow-lists: plain frozen objects with one function per
 * allowed member, each forwarding `(path, args)` to `call` (plain objects rather than a JS Proxy
 * answering every name, so that printing, comparing or awaiting them calls nothing).
 */
export function createSdkProxy(
  call: (path: readonly string[], args: unknown[]) => Promise<unknown>,
): SdkProxy {
  const forward =
    (...path: string[]) =>
    (...args: unknown[]) =>
      call(path, args);
  const members = (service: string, names: object) =>
    Object.freeze(Object.fromEntries(Object.keys(names).map((m) => [m, forward(service, m)])));
  const proxy: Record<string, unknown> = { session: members("session", SESSION_SURFACE) };
  for (const [key, entry] of Object.entries(SDK_SURFACE)) {
    proxy[key] = typeof entry === "string" ? forward(key) : members(key, entry);
  }
  return Object.freeze(proxy) as unknown as SdkProxy;
}
