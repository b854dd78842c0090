/**
 * `@volly/client/testing`: the few internals tests need to set up states a user cannot reach
 * through the public surface (a store from an older release, a group state lost on disk, raw
 * content no client would send). Not for applications: nothing here is stable, and every function
 * names what it breaks or reveals. Kept small on purpose; the main entry (`@volly/client`) is the
 * SDK's public surface.
 */
import type { VollyClient } from "./volly-client.js";

/** The record-format version stored in the client's profile (`storage/migrations/`). */
export async function storeSchemaVersion(client: VollyClient): Promise<number> {
  return (await client.ctx.stores.schemaVersion.get()) ?? 0;
}
