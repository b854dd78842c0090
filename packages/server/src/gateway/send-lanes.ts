/**
 * Orders the gateway SENDs of one connection per group, so the group's log holds one connection's
 * messages in the order they arrived, on every store. Where the store appends concurrent sends in
 * call order (the group commit of SQLite and PostgreSQL is FIFO), a SEND starts at once. Otherwise
 * (a store running each send as its own transaction over a pool, where two in flight could swap) a SEND to a group
 * starts once the previous SEND to the same group is ordered — its seq allocated, which locks the
 * group's row until it commits, so the next one's allocation waits for that commit and gets the
 * next seq — or has settled. SENDs to different groups run side by side, and the connection keeps
 * reading frames (dispatches, ACKs) while SENDs wait for their commit.
 */
export interface SendLanes {
  /**
   * Runs `task` once every earlier task of `groupId` has called its `ordered` callback or settled;
   * resolves or rejects with it. A failed task does not stop the next one.
   */
  run<T>(groupId: string, task: (ordered: () => void) => Promise<T>): Promise<T>;
  /** Tasks queued or running, all groups together (for a cap on what one connection holds). */
  readonly pending: number;
}

/**
 * Creates the {@link SendLanes} of one connection.
 * @param inCallOrder the store appends concurrent sends in call order (DeliveryService.sendsInCallOrder)
 */
export function createSendLanes(inCallOrder: boolean): SendLanes {
  /** Per group, the tail of its lane; created on first use (with `inCallOrder` never). */
  let tails: Map<string, Promise<unknown>> | undefined;
  let pending = 0;
  const settled = () => {
    pending--;
  };
  return {
    run(groupId, task) {
      pending++;
      if (inCallOrder) {
        const run = task(() => {});
        void run.then(settled, settled);
        return run;
      }
      let markOrdered: () => void = () => {};
      const ordered = new Promise<void>((resolve) => {
        markOrdered = resolve;
      });
      const start = () => task(markOrdered);
      tails ??= new Map();
      const lanes = tails;
      const previous = lanes.get(groupId);
      const run = previous ? previous.then(start) : start();
      // The next task of this group may start once this one is ordered, or settled either way.
      const tail = Promise.race([
        ordered,
        run.then(
          () => undefined,
          () => undefined,
        ),
      ]);
      lanes.set(groupId, tail);
      void run.then(settled, settled);
      void tail.then(() => {
        if (lanes.get(groupId) === tail) lanes.delete(groupId);
      });
      return run;
    },
    get pending() {
      return pending;
    },
  };
}
