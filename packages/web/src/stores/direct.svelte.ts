import { onSdkEvent, sdk } from "../lib/sdk.js";
import type { DirectPeer } from "../worker/rpc-types.js";

/**
 * This device's direct paths (issue 17): the member devices it has a WebRTC data channel to
 * (`client.direct.peers()`, kept current by the worker's "direct-peers" events), and offering new
 * ones in a conversation (`client.direct.offer`).
 */
class DirectStore {
  /** The devices with an open direct path, oldest first. */
  peers = $state<DirectPeer[]>([]);
  /** Whether this client can open direct paths (undefined until asked). */
  enabled = $state<boolean | undefined>();

  constructor() {
    onSdkEvent((event) => {
      if (event.type === "direct-peers") this.peers = event.peers;
    });
  }

  /** Asks the worker for the current paths (the events before this store existed were not heard). */
  async refresh(): Promise<void> {
    const [enabled, peers] = await Promise.all([sdk.direct.enabled(), sdk.direct.peers()]);
    this.enabled = enabled;
    this.peers = peers;
  }

  /** The paths to devices of the accounts `accountIds`. */
  of(accountIds: readonly string[]): DirectPeer[] {
    return this.peers.filter((p) => accountIds.includes(p.accountId));
  }

  /**
   * Offers direct paths to the conversation's other connected member devices; resolves once the
   * offer is sent (paths open later, as "direct-peers" events). Throws the SDK's error as `SdkError`.
   */
  offer(conversationId: string): Promise<void> {
    return sdk.direct.offer(conversationId);
  }
}

export const direct = new DirectStore();
