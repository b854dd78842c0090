import { FEDERATION_PREFIX, FederationEmpty, type VollyError } from "@volly/protocol";
import { periodicJob } from "../services/periodic-job.js";
import type { FederationContext } from "./federation-context.js";

/** Most cursors in one report (the schema's limit). */
const MAX_PER_REPORT = 1000;

/**
 * A follower's reports to hubs of where its devices' delivery stands in their groups: every
 * `intervalMs`, for each mirrored group, the cursors of this server's member devices that moved
 * since the last report go to the hub (`POST …/groups/:id/cursors`), so the hub's retention prunes
 * entries every member device has acknowledged, as it does for its own devices. Best effort: a
 * report that fails is made again at the next run.
 */
export interface CursorReports {
  /** Starts the periodic reports. */
  start(): void;
  /** Stops them and waits for the run in progress. */
  stop(): Promise<void>;
}

/** Builds the {@link CursorReports}. */
export function createCursorReports(
  ctx: FederationContext,
  options: { intervalMs?: number } = {},
): CursorReports {
  const { store } = ctx.service;
  /** "group device" → the seq last reported to the hub. */
  const reported = new Map<string, number>();

  const reportGroup = async (groupId: string, hub: string) => {
    const readers = await store.retention.readers(groupId);
    const remote = await store.federation.homesOf(readers.map((r) => r.deviceId));
    const moved = readers.filter(
      (r) => !remote.has(r.deviceId) && r.cursor > (reported.get(`${groupId} ${r.deviceId}`) ?? 0),
    );
    for (let i = 0; i < moved.length; i += MAX_PER_REPORT) {
      const chunk = moved.slice(i, i + MAX_PER_REPORT);
      await ctx.caller.request(hub, "POST", `${FEDERATION_PREFIX}/groups/${groupId}/cursors`, {
        body: { cursors: chunk.map((r) => ({ deviceId: r.deviceId, seq: r.cursor })) },
        response: FederationEmpty,
      });
      if (reported.size > 100_000) reported.clear();
      for (const r of chunk) reported.set(`${groupId} ${r.deviceId}`, r.cursor);
    }
  };

  const job = periodicJob(
    async (stopped) => {
      for (const mirror of await store.federation.listMirrors()) {
        if (stopped()) return;
        await reportGroup(mirror.groupId, mirror.hub).catch((error: unknown) =>
          ctx.log.warn(
            { groupId: mirror.groupId, server: mirror.hub, code: (error as VollyError).code },
            "federation: cursors not reported",
          ),
        );
      }
    },
    options.intervalMs ?? 10_000,
    (error) => ctx.log.error({ err: String(error) }, "federation: cursor reports failed"),
  );
  return { start: () => job.start(), stop: () => job.stop() };
}
