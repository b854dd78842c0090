import { VollyError } from "@volly/protocol";

/** The scheme of a community invite link: `volly-community:<server origin>/<code>`. */
export const COMMUNITY_INVITE_SCHEME = "volly-community:";
const CODE = /^[A-Za-z0-9_-]{16,32}$/;

/** The two forms of a community invite on `server`: the link and the web address (`/c/<code>`). */
export function communityInviteLinks(server: string, code: string): { link: string; webUrl: string } {
  const origin = new URL(server).origin;
  return { link: `${COMMUNITY_INVITE_SCHEME}${origin}/${code}`, webUrl: `${origin}/c/${code}` };
}

/**
 * Reads a community invite: `volly-community:<origin>/<code>`, `<origin>/c/<code>`, or a bare code.
 *
 * @returns the code, and the server origin the link names (undefined for a bare code)
 * @throws VollyError VOLLY_E_COMMUNITY_INVITE_INVALID (none of these forms)
 */
export function parseCommunityInvite(text: string): { code: string; server?: string } {
  const value = text.trim();
  if (CODE.test(value)) return { code: value };
  const invalid = () =>
    new VollyError("VOLLY_E_COMMUNITY_INVITE_INVALID", `Not a community invite link or code: ${value}`);
  let url: URL;
  try {
    url = new URL(
      value.startsWith(COMMUNITY_INVITE_SCHEME) ? value.slice(COMMUNITY_INVITE_SCHEME.length) : value,
    );
  } catch {
    throw invalid();
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw invalid();
  const path = value.startsWith(COMMUNITY_INVITE_SCHEME) ? /^\/([^/]+)$/ : /^\/c\/([^/]+)$/;
  const code = path.exec(url.pathname)?.[1];
  if (!code || !CODE.test(code) || url.search || url.hash) throw invalid();
  return { code, server: url.origin };
}
