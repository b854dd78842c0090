import { ephemeralSignalHandler } from "./ephemeral-signal.js";

/** `p2p.hello` (direct paths, `p2p/direct-paths.ts`): see {@link ephemeralSignalHandler}. */
export const p2pHelloHandler = ephemeralSignalHandler("p2p.hello");
/** `p2p.sdp` (direct paths, `p2p/direct-paths.ts`): see {@link ephemeralSignalHandler}. */
export const p2pSdpHandler = ephemeralSignalHandler("p2p.sdp");
