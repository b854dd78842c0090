import { sign } from "@volly/crypto";
import {
  FEDERATION_WELL_KNOWN_PATH,
  parse,
  ServerDocument,
  signingInput,
  toBase64Url,
  VollyError,
} from "@volly/protocol";
import type { ConversationMember, ConversationRecord } from "../conversations/conversation-records.js";
import type { ClientStore } from "../storage/client-store.js";
import { HttpApi } from "../transport/http-api.js";
import type { ProfileRecord } from "./account-records.js";
import { profileStores, serverOrigins, unlockProfile } from "./profile.js";

/** What {@link moveProfile} needs. */
export interface MoveProfileOptions {
  /** The store holding the profile to move (an exported copy of it, `volly account export`). */
  store: ClientStore;
  /** The profile's PIN. */
  pin: string;
  /** The URL of the server the account moves to. */
  serverUrl: string;
  /** The handle to take there (bare); default the handle the account has now. */
  handle?: string;
  /** `fetch` for the servers' well-known documents (default `globalThis.fetch`). */
  fetch?: typeof globalThis.fetch;
  /** Clock (ms). */
  now?: () => number;
}

/** What {@link moveProfile} did. */
export interface MovedProfile {
  /** The profile as it is now: the new server's URL and the handle there. */
  profile: ProfileRecord;
  /** The handle before, `user@server`. */
  from: string;
  /** The handle now, `user@server`. */
  to: string;
  /** How many of the account's groups the new server follows for it. */
  groups: number;
}

/** The name a server gives itself in its well-known document (`ServerDocument`). */
async function serverName(url: string, fetcher: typeof globalThis.fetch): Promise<string> {
  let body: unknown;
  try {
    const response = await fetcher(new URL(FEDERATION_WELL_KNOWN_PATH, url));
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    body = await response.json();
  } catch (error) {
    throw new VollyError("VOLLY_E_SERVER_UNREACHABLE", `${url} does not publish its server name: ${error}`);
  }
  try {
    return parse(ServerDocument, body).name;
  } catch {
    throw new VollyError(
      "VOLLY_E_SERVER_UNREACHABLE",
      `${url} does not federate (no valid server document).`,
    );
  }
}

/**
 * How a handle the old server showed is shown by the new one: its own accounts were bare there and
 * are `user@old` now; the new server's accounts lose their `@new`; others stay as they are.
 */
export function rehomeHandle(handle: string, oldServer: string, newServer: string): string {
  const at = handle.indexOf("@");
  if (at < 0) return `${handle}@${oldServer}`;
  return handle.slice(at + 1) === newServer ? handle.slice(0, at) : handle;
}

/** A conversation record with its handles as the new server shows them. */
function rehomeConversation(
  conv: ConversationRecord,
  oldServer: string,
  newServer: string,
): ConversationRecord {
  const member = (m: ConversationMember): ConversationMember => ({
    ...m,
    handle: rehomeHandle(m.handle, oldServer, newServer),
  });
  const peer =
    conv.peerHandle !== undefined ? rehomeHandle(conv.peerHandle, oldServer, newServer) : undefined;
  return {
    ...conv,
    ...(peer !== undefined ? { peerHandle: peer } : {}),
    ...(conv.kind === "direct" && conv.title === conv.peerHandle && peer !== undefined
      ? { title: peer }
      : {}),
    ...(conv.members ? { members: conv.members.map(member) } : {}),
    ...(conv.formerMembers ? { formerMembers: conv.formerMembers.map(member) } : {}),
  };
}

/**
 * Moves the account of a profile to another server (issue 18): signs an `AccountMove` with this
 * device's key (`signingInput.accountMove`) from its handle on its server now to `handle` on the
 * new one, posts it to the new server (`POST /v1/accounts/import`, which has the old server hand the
 * account over and follows the account's groups), then points the profile at the new server with
 * its new handle and its stored handles as the new server names them. The account keeps its id, its
 * devices, its conversations and their history; open a client on the store afterwards and connect.
 * Both servers must be reachable; a move that was done already (a retry) completes the same way.
 *
 * @throws VollyError VOLLY_E_WRONG_PIN, VOLLY_E_PROFILE_MISSING, VOLLY_E_USAGE (not a URL),
 *   VOLLY_E_SERVER_UNREACHABLE (a server does not answer, or does not federate), and the new
 *   server's errors (VOLLY_E_HANDLE_TAKEN, VOLLY_E_HANDLE_INVALID, VOLLY_E_FORBIDDEN, …)
 */
export async function moveProfile(options: MoveProfileOptions): Promise<MovedProfile> {
  const fetcher = options.fetch ?? globalThis.fetch;
  const [target] = serverOrigins(options.serverUrl);
  if (!target) throw new VollyError("VOLLY_E_USAGE", "A server URL is needed.");
  const unlocked = await unlockProfile(options.store, options.pin);
  const stores = profileStores(unlocked);
  const { profile, identity } = unlocked;
  const oldServer = await serverName(profile.serverUrl, fetcher);
  const newServer = await serverName(target, fetcher);
  if (oldServer === newServer) {
    throw new VollyError("VOLLY_E_USAGE", `The profile's account is on ${newServer} already.`);
  }
  const conversations = (await stores.conversations.list()).map(([, conv]) => conv);
  const fields = {
    accountId: profile.accountId,
    deviceId: profile.deviceId,
    from: `${profile.handle}@${oldServer}`,
    to: `${options.handle ?? profile.handle}@${newServer}`,
    at: (options.now ?? Date.now)(),
  };
  const signature = toBase64Url(sign(identity.signaturePrivateKey, signingInput.accountMove(fields)));
  const answer = await new HttpApi(target).call("importAccount", {
    body: {
      move: { ...fields, signature },
      cursors: conversations.map((conv) => ({ groupId: conv.id, seq: conv.lastSeq })),
    },
  });
  const moved: ProfileRecord = { ...profile, serverUrl: target, handle: answer.handle };
  delete moved.serverUrls;
  let batch = stores.profile.put(stores.batch(), moved);
  for (const conv of conversations) {
    batch = stores.conversations.save(batch, rehomeConversation(conv, oldServer, newServer));
  }
  // Direct conversations are found by the peer's handle: re-keyed as the new server names it.
  for (const [handle, conversationId] of await stores.directConversations.list()) {
    const rehomed = rehomeHandle(handle, oldServer, newServer);
    if (rehomed === handle) continue;
    batch = stores.directConversations.delete(batch, handle);
    batch = stores.directConversations.put(batch, rehomed, conversationId);
  }
  await batch.commit();
  return {
    profile: moved,
    from: fields.from,
    to: `${answer.handle}@${newServer}`,
    groups: answer.groups.length,
  };
}
