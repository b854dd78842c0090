/** Counts the gateway connections of each client address that have not authenticated yet. */
export interface UnauthenticatedConnections {
  /** True when `address` holds fewer unauthenticated connections than the cap. */
  hasRoom(address: string): boolean;
  /**
   * Counts one more connection of `address`; returns its release (idempotent), to call when the
   * connection authenticates or closes, whichever comes first.
   */
  add(address: string): () => void;
  /** The number of unauthenticated connections of `address`. */
  count(address: string): number;
}

/**
 * Creates the {@link UnauthenticatedConnections} of one node. Memory is one map entry per address
 * holding at least one unauthenticated connection.
 *
 * @param max unauthenticated connections one address may hold at once
 */
export function createUnauthenticatedConnections(max: number): UnauthenticatedConnections {
  const counts = new Map<string, number>();
  const count = (address: string) => counts.get(address) ?? 0;
  return {
    hasRoom: (address) => count(address) < max,
    count,
    add(address) {
      counts.set(address, count(address) + 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        const left = count(address) - 1;
        if (left > 0) counts.set(address, left);
        else counts.delete(address);
      };
    },
  };
}
