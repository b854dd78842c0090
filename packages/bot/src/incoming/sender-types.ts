import type { VollyClient } from "@volly/client";
import type { EntityType } from "@volly/protocol";

/** How long {@link SenderTypes.of} waits for the directory before answering undefined (ms). */
export const SENDER_LOOKUP_WAIT_MS = 2_000;

/**
 * The entity types (human, bot, agent, service, device) of message senders, looked up once per
 * handle in the server's directory (`client.lookup`) and kept for the bot's run; this account's own
 * from its profile. A failed lookup (server unreachable, account gone) yields undefined and is
 * tried again next time; one still running after {@link SENDER_LOOKUP_WAIT_MS} yields undefined
 * for now (it goes on and is kept if it succeeds), so listing messages never waits on a server
 * that cannot be reached.
 */
export class SenderTypes {
  private readonly known = new Map<string, Promise<EntityType | undefined>>();

  constructor(private readonly client: VollyClient) {}

  /** The entity type of the account `handle` (without `@`), or undefined when it cannot be learnt now. */
  of(handle: string): Promise<EntityType | undefined> {
    const { profile } = this.client;
    if (handle === profile.handle) return Promise.resolve(profile.entityType);
    const cached = this.known.get(handle);
    if (cached) return withinWait(cached);
    const looked = this.client.lookup(handle).then(
      (entry) => entry.entityType,
      () => {
        this.known.delete(handle);
        return undefined;
      },
    );
    this.known.set(handle, looked);
    return withinWait(looked);
  }
}

/** `lookup`, or undefined once {@link SENDER_LOOKUP_WAIT_MS} passed without an answer. */
function withinWait(lookup: Promise<EntityType | undefined>): Promise<EntityType | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const waited = new Promise<undefined>((resolve) => {
    timer = setTimeout(resolve, SENDER_LOOKUP_WAIT_MS, undefined);
    timer.unref?.();
  });
  return Promise.race([lookup, waited]).finally(() => clearTimeout(timer));
}
