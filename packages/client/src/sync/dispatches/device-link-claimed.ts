import type { DispatchHandler } from "../dispatch-handler.js";

/** DEVICE_LINK_CLAIMED: a new device claimed a link this account opened (see `Devices`). */
export const deviceLinkClaimed: DispatchHandler<"DEVICE_LINK_CLAIMED"> = {
  handle(event, sync) {
    sync.onDeviceLinkClaimed(event);
  },
};
