import { serverNameOfUrl, typedHandle } from "@volly/client/handles";
import { HANDLE_RE } from "./handle.js";

/** An invite link the page was opened with (`/i/<token>`), kept until it has been accepted. */
const KEY = "volly.pendingInvite";

/** Reads the invite from the URL (moving it to sessionStorage and the URL back to `/`). */
export function takeInviteFromUrl(): string | undefined {
  const m = /^\/i\/([A-Za-z0-9_.-]+)$/.exec(location.pathname);
  if (m) {
    const link = `${location.origin}/i/${m[1]}`;
    sessionStorage.setItem(KEY, link);
    history.replaceState(null, "", "/");
    return link;
  }
  return sessionStorage.getItem(KEY) ?? undefined;
}

/** Forgets the pending invite (accepted or rejected). */
export function clearPendingInvite(): void {
  sessionStorage.removeItem(KEY);
}

/**
 * The inviter's handle as written in the link, for a friendly greeting only (the SDK verifies the
 * signature and the inviter's key when accepting): bare when the invite's server is this page's
 * (`pageHost`), else `handle@host` of that server (another server's account).
 *
 * @param link an invite link (`<server>/i/<token>` or `volly://invite/<token>`)
 * @param pageHost the host (and port) this page was served from (default `location.host`)
 * @returns undefined when the link does not carry a valid handle and server
 */
export function inviterHint(
  link: string,
  pageHost: string = globalThis.location?.host ?? "",
): string | undefined {
  try {
    const token = link.slice(link.lastIndexOf("/") + 1);
    const payload = token.split(".")[0] ?? "";
    const b64 = payload.replace(/-/g, "+").replace(/_/g, "/");
    const json = JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))));
    if (typeof json.handle !== "string" || !HANDLE_RE.test(json.handle)) return undefined;
    if (typeof json.server !== "string" || !/^https?:\/\/[^\s/]+$/.test(json.server)) return undefined;
    // As this page's server names that account: bare for its own, `handle@host` for another's.
    return typedHandle(`${json.handle}@${serverNameOfUrl(json.server)}`, pageHost.toLowerCase());
  } catch {
    return undefined;
  }
}

/** A community invite the page was opened with (`/c/<code>`), kept until the user saw the join dialog. */
const COMMUNITY_KEY = "volly.pendingCommunityInvite";

/** Reads a community invite from the URL (moving it to sessionStorage and the URL back to `/`). */
export function takeCommunityInviteFromUrl(): string | undefined {
  const m = /^\/c\/([A-Za-z0-9_-]{16,32})$/.exec(location.pathname);
  if (m) {
    const link = `${location.origin}/c/${m[1]}`;
    sessionStorage.setItem(COMMUNITY_KEY, link);
    history.replaceState(null, "", "/");
    return link;
  }
  return sessionStorage.getItem(COMMUNITY_KEY) ?? undefined;
}

/** Forgets the pending community invite (offered to the user). */
export function clearPendingCommunityInvite(): void {
  sessionStorage.removeItem(COMMUNITY_KEY);
}
