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

/** Why a handle is not acceptable, or undefined when it is. */
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
