import {
  currentStatusText,
  type PresenceEvent,
  type PresenceStatusResponse,
  parse,
  SetPresenceStatusBody,
  VollyError,
} from "@volly/protocol";
import { ListenerSet } from "../shared/listeners.js";
import { unrefTimer } from "../shared/timers.js";
import type {
  AccountStatus,
  OwnStatus,
  Presence,
  PresenceChange,
  PresenceState,
  SetStatusOptions,
} from "./presence-api.js";

/**
 * After READY/RESUMED the server re-announces every contact that is not offline; contacts
 * not re-announced within this many ms of SYNCED are shown offline.
 */
export const PRESENCE_SNAPSHOT_GRACE_MS = 1_500;

/** What the {@link PresenceService} is built from. */
export interface PresenceDeps {
  /** This account's id: PRESENCE_UPDATE dispatches about it are its own status. */
  accountId: string;
  /** Sends this device's activity to the server (op 3); dropped while disconnected. */
  send: (activity: "online" | "idle") => void;
  /** `GET /v1/presence/status`. */
  getStatus: () => Promise<PresenceStatusResponse>;
  /** `PUT /v1/presence/status`. */
  putStatus: (body: SetPresenceStatusBody) => Promise<PresenceStatusResponse>;
  /** The clock (ms); custom texts past their expiry are not shown. */
  now?: () => number;
}

interface Entry {
  status: PresenceState;
  text?: string;
  until?: number;
  generation: number;
}

/** A status as shown at `now` (an expired text left out). */
function shown<T extends object>(
  base: T,
  s: { text?: string; until?: number },
  now: number,
): T & { text?: string; until?: number } {
  const text = currentStatusText(s, now);
  if (text === undefined) return base;
  return { ...base, text, ...(s.until !== undefined ? { until: s.until } : {}) };
}

const ACCOUNT_STATUSES: readonly string[] = ["online", "idle", "dnd", "invisible"];

/**
 * The SDK's {@link Presence} (see there for each public member): sends this device's activity
 * (gateway op PRESENCE_UPDATE), sets and reads the account's status over REST, and applies
 * PRESENCE_UPDATE dispatches and the session's milestones, fed by the client and the sync pipeline.
 */
export class PresenceService implements Presence {
  readonly changes = new ListenerSet<PresenceChange>();
  readonly ownChanges = new ListenerSet<OwnStatus>();
  private readonly statuses = new Map<string, Entry>();
  private own: "online" | "idle" = "online";
  private account: OwnStatus & { setAt: number } = { status: "online", setAt: 0 };
  private generation = 0;
  private snapshotTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly now: () => number;

  constructor(private readonly deps: PresenceDeps) {
    this.now = deps.now ?? Date.now;
  }

  setActivity(activity: "online" | "idle"): void {
    if (activity !== "online" && activity !== "idle") {
      throw new VollyError("VOLLY_E_USAGE", 'An activity is "online" or "idle".');
    }
    this.own = activity;
    this.deps.send(activity);
  }

  get activity(): "online" | "idle" {
    return this.own;
  }

  get ownStatus(): OwnStatus {
    return shown({ status: this.account.status }, this.account, this.now());
  }

  get doNotDisturb(): boolean {
    return this.account.status === "dnd";
  }

  async setStatus(status: AccountStatus, options: SetStatusOptions = {}): Promise<OwnStatus> {
    if (!ACCOUNT_STATUSES.includes(status)) {
      throw new VollyError("VOLLY_E_USAGE", "A status is online, idle, dnd or invisible.", { status });
    }
    const until = options.until instanceof Date ? options.until.getTime() : options.until;
    if (until !== undefined && !Number.isFinite(until)) {
      throw new VollyError("VOLLY_E_USAGE", "until is not a valid date.");
    }
    const body = parse(
      SetPresenceStatusBody,
      {
        status,
        ...(options.text !== undefined ? { text: options.text } : {}),
        ...(until !== undefined ? { until } : {}),
      },
      "VOLLY_E_USAGE",
    );
    if (body.until !== undefined && body.text === undefined) {
      throw new VollyError("VOLLY_E_USAGE", "until needs a custom text to expire.");
    }
    if (body.until !== undefined && body.until <= this.now()) {
      throw new VollyError("VOLLY_E_USAGE", "until must be in the future.");
    }
    this.applyOwn(await this.deps.putStatus(body));
    return this.ownStatus;
  }

  async refreshStatus(): Promise<OwnStatus> {
    this.applyOwn(await this.deps.getStatus());
    return this.ownStatus;
  }

  statusOf(handle: string): PresenceState {
    return this.statuses.get(handle)?.status ?? "offline";
  }

  detailsOf(handle: string): PresenceChange {
    const entry = this.statuses.get(handle);
    if (!entry) return { handle, status: "offline" };
    return shown({ handle, status: entry.status }, entry, this.now());
  }

  /** Applies a PRESENCE_UPDATE dispatch (a contact's presence, or the account's own status). */
  handle(event: PresenceEvent): void {
    if (event.accountId === this.deps.accountId) {
      if (event.status !== "offline") {
        this.applyOwn({ ...event, status: event.status, setAt: Math.max(this.account.setAt, 1) }, true);
      }
      return;
    }
    const previous = this.detailsOf(event.handle);
    const entry: Entry = { status: event.status, generation: this.generation };
    if (event.text !== undefined) entry.text = event.text;
    if (event.until !== undefined) entry.until = event.until;
    this.statuses.set(event.handle, entry);
    const next = this.detailsOf(event.handle);
    if (previous.status !== next.status || previous.text !== next.text || previous.until !== next.until) {
      this.changes.emit(next);
    }
  }

  /** Records the account's status (from the server); `pushed`: a dispatch, which is always current. */
  private applyOwn(status: OwnStatus & { setAt: number }, pushed = false): void {
    if (!pushed && status.setAt < this.account.setAt) return;
    const before = this.ownStatus;
    this.account = {
      status: status.status,
      setAt: status.setAt,
      ...(status.text !== undefined ? { text: status.text } : {}),
      ...(status.until !== undefined ? { until: status.until } : {}),
    };
    const after = this.ownStatus;
    if (before.status !== after.status || before.text !== after.text || before.until !== after.until) {
      this.ownChanges.emit(after);
    }
  }

  /** The connection is (re)established: re-sends "idle" if that is this device's activity. */
  connected(): void {
    if (this.own === "idle") this.deps.send("idle");
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
        this.statuses.set(handle, { status: "offline", generation: entry.generation });
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
