import type { PresenceView } from "../stores/presence.svelte";

/** The words for each presence: shown next to the shape, or its accessible name. */
export const PRESENCE_TEXT: Record<PresenceView, string> = {
  online: "Online",
  idle: "Idle",
  dnd: "Do not disturb",
  invisible: "Invisible",
  offline: "Offline",
  unknown: "Status unknown",
};

/** The "clear after" choices of the status picker, as ms from now (undefined: never). */
export const CLEAR_AFTER = [
  { id: "30m", label: "30 minutes" },
  { id: "1h", label: "1 hour" },
  { id: "4h", label: "4 hours" },
  { id: "today", label: "Today" },
  { id: "never", label: "Don't clear" },
] as const;
export type ClearAfter = (typeof CLEAR_AFTER)[number]["id"];

/**
 * When a custom text chosen at `now` with "clear after" `choice` expires (ms), or undefined for
 * "never". "today" is the end of the local day (midnight).
 */
export function clearAt(choice: ClearAfter, now: number): number | undefined {
  switch (choice) {
    case "30m":
      return now + 30 * 60_000;
    case "1h":
      return now + 60 * 60_000;
    case "4h":
      return now + 4 * 60 * 60_000;
    case "today": {
      const end = new Date(now);
      end.setHours(24, 0, 0, 0);
      return end.getTime();
    }
    case "never":
      return undefined;
  }
}
