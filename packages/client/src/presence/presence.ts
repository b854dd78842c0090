import { type PresenceEvent, VollyError } from "@volly/protocol";
import { ListenerSet } from "../shared/listeners.js";
import { unrefTimer } from "../shared/timers.js";

/** What the UI shows for a contact. */
export type PresenceState = "online" | "away" | "offline";

/**
 * After READY/RESUMED the server re-announces every contact that is not offline; contacts
 * not re-announced within this many ms of SYNCED are shown offline.
 */
export const PRESENCE_SNAPSHOT_GRACE_MS = 1_500;

/**
 * Presence of the accounts this device shares conversations with (gateway op PRESENCE_UPDATE and
 * PRESENCE_UPDATE dispatches). Ephemeral: nothing is stored.
 */
export class Presence {
  /** Fires when a contact's presence changes. */
  readonly changes = new ListenerSet<{ handle: string; status: PresenceState }>();
  private readonly statuses = new Map<string, { status: PresenceState; generation: number }>();
  private own: "online" | "away" = "online";
  private generation = 0;
  private snapshotTimer: ReturnType<typeof setTimeout> | undefined;

  /** @param send sends this device's status to the server (op 3); dropped while disconnected */
  constructor(private readonly send: (status: "online" | "away") => void) {}

  /**
   * Sets this device's status (e.g. "away" when the tab is hidden). Remembered: after a reconnect
   * an "away" is sent again (the server assumes "online" for a new connection).
   * Throws VOLLY_E_USAGE for another value.
   */
  setStatus(status: "online" | "away"): void {
    if (status !== "online" && status !== "away") {
      throw new VollyError("VOLLY_E_USAGE", 'A status is "online" or "away".');
    }
    this.own = status;
    this.send(status);
  }

  /** The status this device last set ("online" until {@link setStatus} is called). */
  get ownStatus(): "online" | "away" {
    return this.own;
  }

  /** The last known presence of `handle` ("offline" when unknown). */
  statusOf(handle: string): PresenceState {
    return this.statuses.get(handle)?.status ?? "offline";
  }

  /** Applies a PRESENCE_UPDATE dispatch. */
  handle(event: PresenceEvent): void {
    const previous = this.statuses.get(event.handle)?.status ?? "offline";
    this.statuses.set(event.handle, { status: event.status, generation: this.generation });
    if (previous !== event.status) this.changes.emit({ handle: event.handle, status: event.status });
  }

  /** The connection is (re)established: re-sends "away" if that is what the user set. */
  connected(): void {
    if (this.own === "away") this.send("away");
  }

  /** A session began (READY/RESUMED): the server re-announces every contact that is not offline. */
  sessionStarted(): void {
    clearTimeout(this.snapshotTimer);
    this.generation++;
  }

  /** The backlog is done (SYNCED): contacts not re-announced since READY become offline shortly. */
  synced(): void {
    const generation = this.generation;
    clearTimeout(this.snapshotTimer);
    this.snapshotTimer = setTimeout(() => {
      for (const [handle, entry] of this.statuses) {
        if (entry.generation >= generation || entry.status === "offline") continue;
        entry.status = "offline";
        this.changes.emit({ handle, status: "offline" });
      }
    }, PRESENCE_SNAPSHOT_GRACE_MS);
    unrefTimer(this.snapshotTimer);
  }

  /** Stops timers (on close). */
  dispose(): void {
    clearTimeout(this.snapshotTimer);
  }
}
