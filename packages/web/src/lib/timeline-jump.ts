/**
 * How a jump to a message (a search hit, a reply's quote, the pinned list) reaches it in the open
 * chat's timeline. The timeline is virtualized: only the rows near the viewport are in the DOM, so
 * the message's element may not exist until the timeline has scrolled to it. The open timeline
 * registers how to scroll to a message; {@link revealMessage} does that and waits for its row.
 */

/** What the open chat's timeline offers jumps. */
export interface TimelineHandle {
  /** Scrolls the timeline to the message (centred); false when it is not among its rows. */
  scrollToMessage(messageId: string): boolean;
}

/** How many animation frames a jump waits for the message's row (its list can still be rendering). */
const REVEAL_FRAMES = 120;

let current: TimelineHandle | undefined;

/** Makes `timeline` the one jumps go to (the chat that opened last). Returns the undo. */
export function attachTimeline(timeline: TimelineHandle): () => void {
  current = timeline;
  return () => {
    if (current === timeline) current = undefined;
  };
}

/** The open timeline's row of a message, when it is in the DOM. */
export function messageRow(messageId: string): HTMLElement | null {
  return document.querySelector<HTMLElement>(
    `[data-testid=messages] [data-testid=message][data-id="${CSS.escape(messageId)}"]`,
  );
}

function nextFrame(): Promise<void> {
  return new Promise((resolve) => requestAnimationFrame(() => resolve()));
}

/**
 * Scrolls the open timeline to a message and resolves with its row once it is in the DOM and the
 * scroll has settled (the rows on the way get measured as they render, which moves it), waiting
 * a few frames for a timeline still rendering (a chat just opened, older messages just loaded).
 *
 * @returns undefined when the message is not in the open timeline
 */
export async function revealMessage(messageId: string): Promise<HTMLElement | undefined> {
  let scrolled = false;
  let lastTop: number | undefined;
  let found: HTMLElement | undefined;
  for (let frame = 0; frame < REVEAL_FRAMES; frame++) {
    if (!scrolled) scrolled = current?.scrollToMessage(messageId) ?? false;
    const row = scrolled ? messageRow(messageId) : null;
    if (row) {
      const top = row.getBoundingClientRect().top;
      if (row === found && top === lastTop) return row;
      found = row;
      lastTop = top;
    }
    await nextFrame();
  }
  return found?.isConnected ? found : undefined;
}
