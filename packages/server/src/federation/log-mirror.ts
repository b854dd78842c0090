import {
  FEDERATION_PREFIX,
  type FederatedLogEntry,
  type FederatedMembership,
  type FederatedWelcome,
  type LogNotice,
  LogPage,
  type LogPage as LogPageType,
  VollyError,
} from "@volly/protocol";
import { deviceChannel, groupChannel } from "../bus/bus.js";
import { toGroupMessageEvent } from "../services/delivery/events.js";
import { periodicJob } from "../services/periodic-job.js";
import { isUniqueViolation } from "../store/driver-errors.js";
import { StoreConflict } from "../store/store-conflict.js";
import type { Repositories } from "../store/types.js";
import { coalesced } from "./coalesced.js";
import type { FederationContext } from "./federation-context.js";
import type { RemoteDirectory } from "./remote-directory.js";

/** Entries asked per page. */
const PAGE_LIMIT = 500;

/**
 * A follower's copy of the logs of the groups its devices are in but another server hosts: the
 * same entries at the same seqs, the memberships and admins as of the copy's end, so the gateway
 * delivers them to local devices exactly as it delivers local groups' entries (at least once, in
 * order, de-duplicated by seq). The copy catches up when the hub says its log grew, after this
 * server forwarded a device's send or commit, and every `pollIntervalMs` (so a hub or follower
 * restart loses nothing: the hub keeps the entries, and the follower asks again from its position).
 */
export interface LogMirror {
  /**
   * Brings the copy of `groupId` up to the hub's last seq (at least `minSeq` when given). Concurrent
   * calls share one run; a call made while one runs makes it run once more.
   * @throws VOLLY_E_FEDERATION_UNREACHABLE and the hub's errors (VOLLY_E_FORBIDDEN once no device of
   *   this server may read the group)
   */
  sync(groupId: string, minSeq?: number): Promise<void>;
  /**
   * The hub `origin` says `groupId`'s log reaches `lastSeq`: catch up in the background. A note for a
   * group not mirrored yet is ignored (its Welcome starts the mirror).
   * @throws VOLLY_E_FORBIDDEN when another server hosts that group
   */
  notice(origin: string, groupId: string, notice: LogNotice): Promise<void>;
  /**
   * Stores a Welcome the hub `origin` sends for devices of this server that a commit added: starts
   * mirroring the group (refused when this server hosts a group with that id, or mirrors it from
   * another hub), catches up to the commit, then puts the Welcome in each device's inbox and tells
   * their sessions. Idempotent by welcome id.
   * @throws VOLLY_E_FORBIDDEN (the group is not `origin`'s), VOLLY_E_UNKNOWN_DEVICE (a recipient is
   *   not a device of this server)
   */
  welcome(origin: string, welcome: FederatedWelcome): Promise<void>;
  /**
   * Starts mirroring `groupId` from `hub` (nothing when it is already mirrored from it), for devices
   * of this server that are members of it already (an account that moved here). Call
   * {@link sync} to catch up.
   * @throws VOLLY_E_FORBIDDEN (this server hosts a group with that id, or mirrors it from another hub)
   */
  follow(groupId: string, hub: string): Promise<void>;
  /** Starts the periodic catch-up. */
  start(): void;
  /** Stops it and waits for the run in progress. */
  stop(): Promise<void>;
}

/** Builds the {@link LogMirror}. */
export function createLogMirror(
  ctx: FederationContext,
  directory: RemoteDirectory,
  options: { pollIntervalMs?: number } = {},
): LogMirror {
  const { store, bus, now } = ctx.service;
  /** Per group: its coalesced catch-up and the highest seq asked for. */
  const syncs = new Map<string, { minSeq: number; run: () => Promise<void> }>();

  const ensureMirror = async (groupId: string, hub: string) => {
    const mirror = await store.federation.findMirror(groupId);
    if (mirror) {
      if (mirror.hub !== hub) throw new VollyError("VOLLY_E_FORBIDDEN", "Another server hosts that group.");
      return;
    }
    try {
      await store.transaction(async (tx) => {
        if (await tx.groups.find(groupId)) {
          throw new VollyError("VOLLY_E_FORBIDDEN", "This server hosts a group with that id.");
        }
        await tx.groups.insert({
          id: groupId,
          epoch: 0,
          lastSeq: 0,
          createdAt: now(),
          membershipPolicy: "admin",
        });
        await tx.federation.insertMirror(groupId, hub);
      });
    } catch (error) {
      // Created concurrently (another welcome, another node): check it is the same hub's.
      if (!(error instanceof StoreConflict)) throw error;
      const raced = await store.federation.findMirror(groupId);
      if (raced?.hub !== hub) throw new VollyError("VOLLY_E_FORBIDDEN", "Another server hosts that group.");
    }
  };

  /** Sender account id and handle (as this server shows it) per device, for dispatch payloads. */
  const senders = new Map<string, { senderAccountId: string; senderHandle: string }>();
  const senderOf = async (deviceId: string) => {
    let sender = senders.get(deviceId);
    if (!sender) {
      const device = await store.devices.findById(deviceId);
      if (!device) return undefined;
      sender = { senderAccountId: device.accountId, senderHandle: device.handle };
      if (senders.size > 50_000) senders.clear();
      senders.set(deviceId, sender);
    }
    return sender;
  };

  /**
   * Tells the group's sessions what a page appended: each application entry with its payload (so a
   * session that is up to date sends it without reading the store, as for local sends), then the
   * page's end (a commit, a departure, or entries this copy skipped make sessions read the store).
   */
  const announce = async (
    page: LogPageType,
    appended: readonly FederatedLogEntry[],
    membershipChanged: boolean,
  ) => {
    const { groupId } = page;
    let announced = 0;
    for (const entry of appended) {
      const sender = entry.kind === "application" ? await senderOf(entry.senderDeviceId) : undefined;
      bus.publish(groupChannel(groupId), {
        type: "group-appended",
        groupId,
        seq: entry.seq,
        kind: entry.kind,
        ...(sender ? { entry: toGroupMessageEvent({ groupId, ...entry, ...sender }) } : {}),
      });
      announced = entry.seq;
    }
    if (membershipChanged || announced < page.upToSeq) {
      bus.publish(groupChannel(groupId), {
        type: "group-appended",
        groupId,
        seq: page.upToSeq,
        kind: membershipChanged ? "commit" : "application",
      });
    }
  };

  /** Applies one page to the copy in one transaction; returns whether a commit or departure came. */
  const apply = async (
    hub: string,
    page: LogPageType,
  ): Promise<{ membershipChanged: boolean; appended: FederatedLogEntry[] }> => {
    const { groupId } = page;
    const present = await directory.ensureDevices(page.devices, hub);
    let membershipChanged = false;
    let appended: FederatedLogEntry[] = [];
    // Shared with the other writes of the moment (one commit, one fsync on SQLite: group commit).
    await store.transactionShared(async (tx) => {
      // the group commit may run this again (a batch rolled back): start over each time
      appended = [];
      membershipChanged = false;
      const mirror = await tx.federation.findMirror(groupId);
      if (!mirror) return;
      for (const entry of page.entries) {
        if (entry.seq <= mirror.mirroredSeq || !present.has(entry.senderDeviceId)) continue;
        if (entry.kind !== "application") membershipChanged = true;
        const { blobIds, ...logged } = entry;
        await tx.log.append({ groupId, ...logged });
        if (blobIds) await tx.blobs.recordReferences({ groupId, ...logged }, blobIds);
        appended.push(entry);
      }
      if (page.memberships) {
        membershipChanged =
          (await mirrorMemberships(tx, page.memberships, groupId, present)) || membershipChanged;
      }
      if (page.adminAccountIds) await tx.groupState.addAdmins(groupId, page.adminAccountIds);
      await tx.federation.advanceMirror(groupId, page.upToSeq, page.epoch);
    });
    const last = page.entries[page.entries.length - 1];
    if (last) ctx.metrics?.lag(hub, Math.max(0, now() - last.createdAt) / 1000);
    return { membershipChanged, appended };
  };

  /** Pages the hub pushed with its notes, by group: used instead of a fetch when they fit. */
  const pushed = new Map<string, { after: number; page: LogPageType }>();

  const run = async (groupId: string, minSeq: number) => {
    const mirror = await store.federation.findMirror(groupId);
    if (!mirror) return;
    let after = mirror.mirroredSeq;
    for (;;) {
      const offered = pushed.get(groupId);
      pushed.delete(groupId);
      const page =
        offered && offered.after === after && offered.page.groupId === groupId
          ? offered.page
          : await ctx.caller.request<LogPageType>(
              mirror.hub,
              "GET",
              `${FEDERATION_PREFIX}/groups/${groupId}/log`,
              {
                query: { after, limit: PAGE_LIMIT },
                response: LogPage,
              },
            );
      if (page.groupId !== groupId || page.upToSeq < after) {
        throw new VollyError("VOLLY_E_FEDERATION_UNREACHABLE", "The hub answered another page.", {
          server: mirror.hub,
        });
      }
      if (page.upToSeq > after || page.entries.length > 0) {
        const { membershipChanged, appended } = await apply(mirror.hub, page);
        await announce(page, appended, membershipChanged);
      }
      after = page.upToSeq;
      if (after >= page.lastSeq && after >= minSeq) return;
      if (page.entries.length === 0 && after >= page.lastSeq) return;
    }
  };

  const sync = (groupId: string, minSeq = 0): Promise<void> => {
    let state = syncs.get(groupId);
    if (!state) {
      const created: { minSeq: number; run: () => Promise<void> } = {
        minSeq: 0,
        run: coalesced(() => run(groupId, created.minSeq)),
      };
      if (syncs.size > 100_000) syncs.clear();
      syncs.set(groupId, created);
      state = created;
    }
    // A run in progress goes round once more (from where it got to) for whoever asks now.
    state.minSeq = Math.max(state.minSeq, minSeq);
    return state.run();
  };

  const poll = periodicJob(
    async (stopped) => {
      for (const mirror of await store.federation.listMirrors()) {
        if (stopped()) return;
        await sync(mirror.groupId).catch((error: unknown) =>
          ctx.log.warn(
            { groupId: mirror.groupId, server: mirror.hub, code: (error as VollyError).code },
            "federation: catching up a mirrored group failed",
          ),
        );
      }
    },
    options.pollIntervalMs ?? 2_000,
    (error) => ctx.log.error({ err: String(error) }, "federation: mirror poll failed"),
  );

  return {
    sync,

    async notice(origin, groupId, { lastSeq, after, page }) {
      const mirror = await store.federation.findMirror(groupId);
      // A note may come before the Welcome that starts the mirror: nothing to catch up yet.
      if (!mirror) return;
      if (mirror.hub !== origin) {
        throw new VollyError("VOLLY_E_FORBIDDEN", "That server does not host a group mirrored here.");
      }
      if (lastSeq <= mirror.mirroredSeq) return;
      if (page && after !== undefined) pushed.set(groupId, { after, page });
      sync(groupId, lastSeq).catch((error: unknown) =>
        ctx.log.warn(
          { groupId, server: origin, code: (error as VollyError).code },
          "federation: catch-up failed",
        ),
      );
    },

    async welcome(origin, welcome) {
      const { groupId } = welcome;
      const ids = welcome.recipients.map((r) => r.deviceId);
      const remote = await store.federation.homesOf(ids);
      const local = new Set((await store.devices.findMany(ids)).map((d) => d.id));
      const stranger = ids.find((id) => remote.has(id) || !local.has(id));
      if (stranger !== undefined)
        throw new VollyError("VOLLY_E_UNKNOWN_DEVICE", undefined, { deviceId: stranger });
      await ensureMirror(groupId, origin);
      await sync(groupId, welcome.seq);
      if (!(await store.groups.findTree(groupId, welcome.epoch))) {
        await store.groups.putTree(groupId, welcome.epoch, welcome.ratchetTree);
      }
      for (const { deviceId, welcomeId } of welcome.recipients) {
        try {
          await store.welcomes.insertMany([
            {
              id: welcomeId,
              deviceId,
              groupId,
              seq: welcome.seq,
              epoch: welcome.epoch,
              senderDeviceId: welcome.senderDeviceId,
              payload: welcome.welcome,
              createdAt: now(),
            },
          ]);
        } catch (error) {
          if (isUniqueViolation(error) || error instanceof StoreConflict) continue; // delivered before
          throw error;
        }
        bus.publish(deviceChannel(deviceId), { type: "welcome", deviceId, welcomeId, groupId });
      }
    },

    follow: ensureMirror,

    start: () => poll.start(),
    stop: () => poll.stop(),
  };
}

/**
 * Makes the copy's memberships those of the page (for devices stored here). Returns whether any changed.
 */
async function mirrorMemberships(
  tx: Repositories,
  memberships: readonly FederatedMembership[],
  groupId: string,
  present: ReadonlySet<string>,
): Promise<boolean> {
  const current = new Map((await tx.retention.readers(groupId)).map((r) => [r.deviceId, r]));
  let changed = false;
  for (const m of memberships) {
    if (!present.has(m.deviceId)) continue;
    const mine = current.get(m.deviceId);
    if (!mine || mine.joinedSeq !== m.joinedSeq) {
      await tx.groups.addMembers(groupId, [m.deviceId], m.joinedSeq);
      changed = true;
      if (m.leftSeq !== null) await tx.groups.endMemberships(groupId, [m.deviceId], m.leftSeq);
    } else if (mine.leftSeq === null && m.leftSeq !== null) {
      await tx.groups.endMemberships(groupId, [m.deviceId], m.leftSeq);
      changed = true;
    }
  }
  return changed;
}
