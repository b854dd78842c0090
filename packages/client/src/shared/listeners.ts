/**
 * One kind of event of the SDK that applications can listen to (`client.messaging.received`,
 * `client.connection.stateChanges`, …): a typed set of listeners, no string-keyed emitter. Only
 * the SDK emits; listeners are called synchronously, in the order they were added, and a listener
 * that throws does not stop the others (its error is dropped).
 */
export interface Listeners<T> {
  /**
   * Adds a listener, called with each value emitted from now on.
   *
   * @param fn called with the event's value; its return value and errors are ignored
   * @returns a function that removes the listener (calling it twice is harmless)
   */
  add(fn: (value: T) => void): () => void;
}

/** The SDK's side of {@link Listeners}: the set itself, which also emits. Internal. */
export class ListenerSet<T> implements Listeners<T> {
  private readonly fns = new Set<(value: T) => void>();

  /** @param accept values for which it returns false are not emitted (default: all are). */
  constructor(private readonly accept: (value: T) => boolean = () => true) {}

  /** Adds a listener; returns a function that removes it. */
  add(fn: (value: T) => void): () => void {
    this.fns.add(fn);
    return () => this.fns.delete(fn);
  }

  /** Calls every listener with `value`; a throwing listener does not stop the others. */
  emit(value: T): void {
    if (!this.accept(value)) return;
    for (const fn of this.fns) {
      try {
        fn(value);
      } catch {
        // a listener's bug must not break delivery
      }
    }
  }
}
