/**
 * Runs async tasks one at a time per key (here: per conversation), in call order. Tasks of different
 * keys run concurrently. MLS group handles are single-use, so every operation that reads a group
 * state and writes its successor (send, commit, processing an incoming entry) runs through one of
 * these; a failing task does not stop the ones queued after it. Not reentrant: a task must never
 * wait for another task of its own key.
 */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<void>>();

  /** Runs `task` after every task queued before it under `key`; resolves or rejects with its result. */
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Resolves once every task queued so far (under any key) has settled. */
  async idle(): Promise<void> {
    while (this.tails.size > 0) await Promise.all([...this.tails.values()]);
  }
}
