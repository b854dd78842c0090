import { hasBrowserProfile } from "@volly/client/browser";

/** Whether this browser holds a Volly profile; loads only the IndexedDB store, not the crypto SDK. */
export async function probeProfile(): Promise<{ hasProfile: boolean }> {
  return { hasProfile: await hasBrowserProfile() };
}
