import type { DispatchHandler } from "../dispatch-handler.js";

/** COMMUNITY_UPDATE: a community of this account changed; the communities capability reads it again. */
export const communityUpdate: DispatchHandler<"COMMUNITY_UPDATE"> = {
  handle(event, sync) {
    sync.onCommunityUpdate(event);
  },
};
