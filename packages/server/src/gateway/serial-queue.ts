/** Runs async tasks one at a time, in the order they were pushed. */
export interface SerialQueue {
  /** Queues `task`; the returned promise settles with it. A failing task does not stop later ones. */
  push(task: () => Promise<void>): Promise<void>;
  /** Resolves once every task queued so far has settled. */
  idle(): Promise<void>;
  /** True while a task is queued or running: synchronous work must then be queued to keep order. */
  readonly busy: boolean;
}

/**
 * Creates a {@link SerialQueue}. The gateway uses one per connection so frames are handled and
 * dispatches sent strictly in order: nothing is dispatched twice or out of order.
 */
export function createSerialQueue(): SerialQueue {
  let tail: Promise<void> = Promise.resolve();
  let pending = 0;
  const settled = () => {
    pending--;
  };
  return {
    push(task) {
      pending++;
      const run = tail.then(task);
      tail = run.then(settled, settled);
      return run;
    },
    idle() {
      return tail;
    },
    get busy() {
      return pending > 0;
    },
  };
}
