import { SdkClient } from "../worker/rpc-client.js";

/** The one SDK worker of this tab. */
export const sdk = new SdkClient();
