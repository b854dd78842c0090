/** A typed set of listeners for one kind of event (no string-keyed emitter). */
export class Listeners<T> {
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
