import type { CommunityResponse } from "@volly/protocol";
import type { HttpApi } from "../transport/http-api.js";

/** How long a community read for a client-side permission check is reused (ms). */
export const COMMUNITY_READ_TTL_MS = 5_000;

/**
 * Reads of a community (`GET /v1/communities/:communityId`) for the checks only clients can make —
 * who may be given a channel's history, who may delete or pin others' messages — shared by those
 * checks so a burst of joins or actions costs one read. A read is reused for
 * COMMUNITY_READ_TTL_MS; a caller whose answer a stale read could make wrong asks for a fresh one.
 * A failed read is not kept.
 */
export class CommunityReads {
  private readonly reads = new Map<string, { at: number; community: Promise<CommunityResponse> }>();

  /** @param api the client's REST transport */
  constructor(private readonly api: HttpApi) {}

  /**
   * The community as this account sees it: the read of the last COMMUNITY_READ_TTL_MS, or a new one
   * (always with `fresh`).
   *
   * @throws VollyError the server's (VOLLY_E_UNKNOWN_COMMUNITY, VOLLY_E_SERVER_UNREACHABLE…)
   */
  read(communityId: string, fresh = false): Promise<CommunityResponse> {
    const cached = this.reads.get(communityId);
    if (!fresh && cached && Date.now() - cached.at < COMMUNITY_READ_TTL_MS) return cached.community;
    const community = this.api.call("getCommunity", { params: { communityId } });
    this.reads.set(communityId, { at: Date.now(), community });
    community.catch(() => {
      if (this.reads.get(communityId)?.community === community) this.reads.delete(communityId);
    });
    return community;
  }

  /** Whether a read of this community is being reused (a fresh one would be a new request). */
  cached(communityId: string): boolean {
    const cached = this.reads.get(communityId);
    return cached !== undefined && Date.now() - cached.at < COMMUNITY_READ_TTL_MS;
  }
}
