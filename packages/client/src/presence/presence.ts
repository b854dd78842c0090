import { type PresenceEvent, VollyError } from "@volly/protocol";
import { ListenerSet } from "../shared/listeners.js";
import { unrefTimer } from "../shared/timers.js";
import type { Presence, PresenceChange, PresenceState } from "./presence-api.js";

/**
 * After READY/RESUMED the server re-announces every contact that is not offline; contacts
 * not re-announced within this many ms of SYNCED are shown offline.
 */
export const PRESENCE_SNAPSHOT_GRACE_MS = 1_500;

/**
 * The SDK's {@link Presence} (see there for each public member): sends this device's status
 * through `send` (gateway op PRESENCE_UPDATE) and applies PRESENCE_UPDATE dispatches and the
 * session's milestones, fed by the client and the sync pipeline.
 */
export class PresenceService implements Presence {
  readonly changes = new ListenerSet<PresenceChange>();
  private readonly statuses = new Map<string, { status: PresenceState; generation: number }>();
  private own: "online" | "away" = "online";
  private generation = 0;
  private snapshotTimer: ReturnType<typeof setTimeout> | undefined;

  /** @param send sends this device's status to the server (op 3); dropped while disconnected */
  constructor(private readonly send: (status: "online" | "away") => void) {}

  setStatus(status: "online" | "away"): void {
    if (status !== "online" && status !== "away") {
      throw new VollyError("VOLLY_E_USAGE", 'A status is "online" or "away".');
    }
    this.own = status;
    this.send(status);
  }

  get ownStatus(): "online" | "away" {
    return this.own;
  }

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
