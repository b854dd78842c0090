/**
 * Wraps `task` so calls never overlap and never queue up: a call while it runs makes it run once
 * more when it ends, and resolves with that run — so every caller is answered by a run that started
 * after it asked, however many asked meanwhile.
 *
 * @returns a function that starts (or joins) a run; it rejects when the last run failed
 */
export function coalesced(task: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  let again = false;
  return () => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await task();
        } while (again);
      } finally {
        running = undefined;
      }
    })();
    return running;
  };
}
