import { typedHandle } from "@volly/client/handles";
import { parseHandle } from "@volly/protocol";

/** Handle rules of the server: 3–32 of a–z 0–9 _ . - starting with a letter or digit. */
export const HANDLE_RE = /^[a-z0-9][a-z0-9_.-]{2,31}$/;

/** Suggests a handle from a display name: "Zoë Martin" → "zoe.martin". */
export function suggestHandle(displayName: string): string {
  const base = displayName
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .trim()
    .replace(/\s+/g, ".")
    .replace(/[^a-z0-9_.-]/g, "")
    .replace(/^[^a-z0-9]+/, "")
    .replace(/[._-]{2,}/g, ".")
    .slice(0, 32)
    .replace(/[._-]+$/, "");
  if (base.length >= 3) return base;
  if (base.length === 0) return "";
  return `${base}${"123".slice(0, 3 - base.length)}`;
}

/** Why a handle is not acceptable to register on this server (onboarding), or undefined when it is. */
export function handleProblem(handle: string): string | undefined {
  if (handle.length < 3) return "At least 3 characters.";
  if (handle.length > 32) return "At most 32 characters.";
  if (!/^[a-z0-9]/.test(handle)) return "Start with a letter or a digit.";
  if (!HANDLE_RE.test(handle)) return "Use lowercase letters, digits, and . _ - only.";
  return undefined;
}

/**
 * Asks the server whether a handle is free to register (`GET /v1/handles/:handle/availability`,
 * which answers 200 `{handle, available}` either way, so a free handle logs no failed request).
 * Returns `undefined` when it cannot tell (offline, rate-limited, an invalid handle).
 */
export async function isHandleFree(handle: string, signal?: AbortSignal): Promise<boolean | undefined> {
  try {
    const res = await fetch(`/v1/handles/${encodeURIComponent(handle)}/availability`, {
      headers: { accept: "application/json" },
      ...(signal ? { signal } : {}),
    });
    if (!res.ok) return undefined;
    const body = (await res.json()) as { handle?: unknown; available?: unknown };
    return body.handle === handle && typeof body.available === "boolean" ? body.available : undefined;
  } catch {
    return undefined;
  }
}

/** What the user typed to name someone to write to: the account's handle, or why it is none. */
export type TypedRecipient =
  | { handle: string; problem?: undefined }
  | { handle?: undefined; problem: string };

/**
 * Reads a handle typed to name an account ("New message"): `alice`, `@Alice`, or another server's
 * account `@alice@b.example` / `alice@b.example:8443` (federation). The handle is as this account's
 * server names it (`typedHandle` of @volly/client: lowercase, no `@`, bare for this server's
 * accounts — also when qualified by one of `ownServers` — else `user@server`).
 *
 * @param typed the text as typed (surrounding white space ignored; must not be empty)
 * @param ownServers this account's server name(s) (`ownServerNames`)
 * @returns the handle, or a sentence saying what is wrong with the text
 */
export function typedRecipient(typed: string, ownServers: readonly string[]): TypedRecipient {
  const text = typed.trim().replace(/^@/, "").toLowerCase();
  const at = text.indexOf("@");
  const user = at < 0 ? text : text.slice(0, at);
  const userProblem = handleProblem(user);
  if (userProblem) return { problem: userProblem };
  if (at >= 0 && !parseHandle(text)) {
    return {
      problem: "After the second @ comes a server's name, like example.org or chat.example.org:8443.",
    };
  }
  return { handle: typedHandle(text, ownServers) };
}
