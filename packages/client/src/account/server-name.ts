import { parseHandle, VollyError } from "@volly/protocol";
import type { ProfileRecord } from "./account-records.js";

/**
 * The server name (`SERVER_NAME_PATTERN` of @volly/protocol) of a server URL: its host, lowercase,
 * with the port when the URL names a non-default one (`URL.host`, WHATWG URL §4.4):
 * "https://Chat.Example.org/" → "chat.example.org", "http://127.0.0.2:7001" → "127.0.0.2:7001".
 * This is what qualified handles (`user@server`) and other servers call that server (federation,
 * `docs/architecture.md` "Federation").
 *
 * @param url an absolute http(s) URL or origin
 * @throws VollyError VOLLY_E_USAGE when `url` is not an absolute URL
 */
export function serverNameOfUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new VollyError("VOLLY_E_USAGE", `Not a server URL: ${url}`);
  }
  return parsed.host;
}

/**
 * The names this profile's server goes by: the {@link serverNameOfUrl} of each of its server URLs
 * (`serverUrls` when it has several, else `serverUrl`), the preferred one first, each once. A
 * handle qualified by any of them names an account of this client's own server.
 */
export function ownServerNames(profile: Pick<ProfileRecord, "serverUrl" | "serverUrls">): string[] {
  const urls = profile.serverUrls?.length ? profile.serverUrls : [profile.serverUrl];
  return [...new Set(urls.map(serverNameOfUrl))];
}

/**
 * A handle as a user typed it — `alice`, `@alice`, `alice@b.example`, `@Alice@B.example:8443`,
 * surrounding whitespace ignored — as this client's server names that account: lowercase, no
 * leading `@`, bare for an account of this server (no server part, or one of `ownServers`), else
 * `user@server`. The result is what the directory (`getAccount`), conversation members and
 * direct conversations' `peerHandle` use.
 *
 * @param typed the handle as typed
 * @param ownServers this client's server name(s) (see {@link ownServerNames})
 * @throws VollyError VOLLY_E_HANDLE_INVALID (details.handle: the text without its `@`) when it is
 *   not a handle (`QUALIFIED_HANDLE_PATTERN`)
 */
export function typedHandle(typed: string, ownServers: string | readonly string[]): string {
  const text = typed.trim();
  const parts = parseHandle(text);
  if (!parts) {
    throw new VollyError("VOLLY_E_HANDLE_INVALID", undefined, { handle: text.replace(/^@/, "") });
  }
  const own = typeof ownServers === "string" ? [ownServers] : ownServers;
  return parts.server === undefined || own.includes(parts.server)
    ? parts.user
    : `${parts.user}@${parts.server}`;
}

/**
 * The server name of the account a handle names, as a server whose name is `localServer` shows it
 * (bare: `localServer`; `user@server`: `server`).
 *
 * @returns undefined when `handle` is not a handle (`QUALIFIED_HANDLE_PATTERN`)
 */
export function homeServerOf(handle: string, localServer: string): string | undefined {
  const parts = parseHandle(handle);
  return parts ? (parts.server ?? localServer) : undefined;
}
