import { FEDERATION_PREFIX, FederationEmpty, type LogPage, type VollyError } from "@volly/protocol";
import type { FederationContext } from "./federation-context.js";

/** How long a group's list of follower servers is reused before it is read again (ms). */
const FOLLOWERS_TTL_MS = 5_000;
/** How long no notes go to a server after one failed: its poll catches up anyway (ms). */
const DOWN_PAUSE_MS = 5_000;

/**
 * The hub's notes to follower servers that one of its groups' logs grew, so they catch up at once
 * instead of at their next poll. Best effort: a note that fails is not retried (the follower's poll
 * is the guarantee). Notes for one group are coalesced: at most one request per follower in flight,
 * and one more with the latest seq after it.
 */
export interface HubNotices {
  /** The group hosted here reached `lastSeq`; `membershipChanged` after a commit or departure. */
  appended(groupId: string, lastSeq: number, membershipChanged: boolean): void;
  /**
   * `server` was given the group's log up to `upToSeq` (a page it fetched): the next note to it
   * carries the entries after that, so it need not fetch them.
   */
  served(server: string, groupId: string, upToSeq: number): void;
}

/** Most entries a note carries; a follower further behind fetches them. */
const PUSH_LIMIT = 100;

/** Builds the {@link HubNotices}. */
export function createHubNotices(
  ctx: FederationContext,
  pageOf: (groupId: string, after: number, limit: number) => Promise<LogPage | undefined>,
): HubNotices {
  /** "server group" → the seq that server's copy reaches as far as this server knows. */
  const served = new Map<string, number>();
  const { store, now } = ctx.service;
  const followers = new Map<string, { servers: string[]; at: number }>();
  /** Per group and server: the seq to announce next, and whether a request is in flight. */
  const pending = new Map<string, { seq: number; busy: boolean }>();
  /** Servers a note failed to reach: until when none are sent to them. */
  const down = new Map<string, number>();

  const serversOf = async (groupId: string, fresh: boolean): Promise<string[]> => {
    const cached = followers.get(groupId);
    if (cached && !fresh && now() - cached.at < FOLLOWERS_TTL_MS) return cached.servers;
    const servers = await store.federation.followerServers(groupId);
    if (followers.size > 10_000) followers.clear();
    followers.set(groupId, { servers, at: now() });
    return servers;
  };

  const send = (server: string, groupId: string) => {
    const key = `${server} ${groupId}`;
    const state = pending.get(key);
    if (!state || state.busy) return;
    if ((down.get(server) ?? 0) > now()) {
      pending.delete(key);
      return;
    }
    state.busy = true;
    const seq = state.seq;
    const after = served.get(key);
    const notice = async () => {
      const page =
        after !== undefined && seq - after <= PUSH_LIMIT
          ? await pageOf(groupId, after, PUSH_LIMIT)
          : undefined;
      await ctx.caller.request(server, "POST", `${FEDERATION_PREFIX}/groups/${groupId}/notices`, {
        body: page && after !== undefined ? { lastSeq: seq, after, page } : { lastSeq: seq },
        response: FederationEmpty,
      });
      if (page) served.set(key, page.upToSeq);
    };
    notice()
      .then(
        () => down.delete(server),
        (error: unknown) => {
          // Only a server that could not be reached is paused; a refusal concerns this note alone.
          if ((error as VollyError).code === "VOLLY_E_FEDERATION_UNREACHABLE") {
            if (down.size > 10_000) down.clear();
            down.set(server, now() + DOWN_PAUSE_MS);
          }
          ctx.log.warn(
            { server, groupId, code: (error as VollyError).code },
            "federation: notice not delivered",
          );
        },
      )
      .finally(() => {
        state.busy = false;
        if (state.seq > seq) send(server, groupId);
        else pending.delete(key);
      });
  };

  return {
    served(server, groupId, upToSeq) {
      const key = `${server} ${groupId}`;
      if (served.size > 50_000) served.clear();
      served.set(key, Math.max(served.get(key) ?? 0, upToSeq));
    },

    appended(groupId, lastSeq, membershipChanged) {
      serversOf(groupId, membershipChanged).then(
        (servers) => {
          for (const server of servers) {
            const key = `${server} ${groupId}`;
            const state = pending.get(key) ?? { seq: 0, busy: false };
            state.seq = Math.max(state.seq, lastSeq);
            pending.set(key, state);
            send(server, groupId);
          }
        },
        (error: unknown) =>
          ctx.log.error({ groupId, err: String(error) }, "federation: follower lookup failed"),
      );
    },
  };
}
