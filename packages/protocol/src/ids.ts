import { toBase64Url } from "./encoding.js";

/**
 * Generates a random 128-bit identifier as 22 base64url characters. Used for accounts, devices,
 * groups (conversations), sessions and client-generated message ids. Uses the platform CSPRNG
 * (`crypto.getRandomValues`), present in Node >= 20 and every browser.
 *
 * Never starts with '-': ids are pasted into command lines (`volly send <conversation id> …`),
 * where a leading '-' reads as an option. Drawing again in that case (1 in 64) costs < 0.03 bits.
 */
export function newId(): string {
  const bytes = new Uint8Array(16);
  for (;;) {
    globalThis.crypto.getRandomValues(bytes);
    const id = toBase64Url(bytes);
    if (!id.startsWith("-")) return id;
  }
}

/** Pattern every id matches: 22 base64url characters (128 bits). */
export const ID_PATTERN = "^[A-Za-z0-9_-]{22}$";

/** Pattern a handle matches: 3–32 characters, lowercase letters, digits, '_', '.', '-', starting alphanumeric. */
export const HANDLE_PATTERN = "^[a-z0-9][a-z0-9_.-]{2,31}$";

/** True when `handle` is a valid handle (see {@link HANDLE_PATTERN}). */
export function isValidHandle(handle: string): boolean {
  return new RegExp(HANDLE_PATTERN).test(handle);
}

const LABEL = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
const SERVER_NAME_BODY = `${LABEL}(?:\\.${LABEL})*(?::[0-9]{1,5})?`;

/**
 * Pattern a server name matches: the lowercase host of the server's public URL, with its port when
 * the URL names one ("a.example", "127.0.0.2:8080"). A server's name is what other servers and
 * qualified handles call it (federation, `docs/architecture.md` "Federation").
 */
export const SERVER_NAME_PATTERN = `^${SERVER_NAME_BODY}$`;

/**
 * Pattern a handle as servers exchange it matches: a local handle ({@link HANDLE_PATTERN}), or a
 * handle qualified by its home server's name, `user@server` ("alice@a.example:8443"). A server
 * shows its own accounts' handles bare and other servers' accounts qualified.
 */
export const QUALIFIED_HANDLE_PATTERN = `^[a-z0-9][a-z0-9_.-]{2,31}(?:@${SERVER_NAME_BODY})?$`;

/** A handle split into its user part and, when qualified, its home server's name. */
export interface HandleParts {
  /** The handle on its home server ({@link HANDLE_PATTERN}). */
  user: string;
  /** The home server's name ({@link SERVER_NAME_PATTERN}); absent for a bare handle. */
  server?: string;
}

/**
 * Splits `handle` (bare or qualified, with or without one leading '@', as users type it: "@alice",
 * "alice@a.example") into its parts, lowercased.
 *
 * @returns undefined when it is not a valid handle ({@link QUALIFIED_HANDLE_PATTERN})
 */
export function parseHandle(handle: string): HandleParts | undefined {
  const text = (handle.startsWith("@") ? handle.slice(1) : handle).toLowerCase();
  if (text.length > 300 || !new RegExp(QUALIFIED_HANDLE_PATTERN).test(text)) return undefined;
  const at = text.indexOf("@");
  if (at < 0) return { user: text };
  const server = text.slice(at + 1);
  const port = server.includes(":") ? Number(server.slice(server.lastIndexOf(":") + 1)) : 1;
  if (port < 1 || port > 65535) return undefined;
  return { user: text.slice(0, at), server };
}

/**
 * The handle as server `localServer` shows it: bare for its own accounts, `user@server` for
 * others'. `handle` must be valid ({@link parseHandle}).
 */
export function handleAsSeenBy(handle: string, localServer: string): string {
  const parts = parseHandle(handle);
  if (!parts) throw new TypeError(`not a handle: ${handle}`);
  return parts.server === undefined || parts.server === localServer
    ? parts.user
    : `${parts.user}@${parts.server}`;
}
