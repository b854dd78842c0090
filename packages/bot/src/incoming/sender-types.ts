import type { VollyClient } from "@volly/client";
import type { EntityType } from "@volly/protocol";

/**
 * The entity types (human, bot, agent, service, device) of message senders, looked up once per
 * handle in the server's directory (`client.lookup`) and kept for the bot's run. A failed lookup
 * (server unreachable, account gone) yields undefined and is tried again next time.
 */
export class SenderTypes {
  private readonly known = new Map<string, Promise<EntityType | undefined>>();

  constructor(private readonly client: VollyClient) {}

  /** The entity type of the account `handle` (without `@`), or undefined when it cannot be learnt now. */
  of(handle: string): Promise<EntityType | undefined> {
    const cached = this.known.get(handle);
    if (cached) return cached;
    const looked = this.client.lookup(handle).then(
      (entry) => entry.entityType,
      () => {
        this.known.delete(handle);
        return undefined;
      },
    );
    this.known.set(handle, looked);
    return looked;
  }
}
