import type { CallSignalContent } from "@volly/protocol";
import { ephemeralSignalHandler } from "./ephemeral-signal.js";

/** The kinds of call signaling content (`calls.ts` of packages/protocol). */
export type CallSignalType = CallSignalContent["type"];

/** `call.ring`: see {@link ephemeralSignalHandler}. */
export const callRingHandler = ephemeralSignalHandler("call.ring");
/** `call.accept`: see {@link ephemeralSignalHandler}. */
export const callAcceptHandler = ephemeralSignalHandler("call.accept");
/** `call.decline`: see {@link ephemeralSignalHandler}. */
export const callDeclineHandler = ephemeralSignalHandler("call.decline");
/** `call.hangup`: see {@link ephemeralSignalHandler}. */
export const callHangupHandler = ephemeralSignalHandler("call.hangup");
/** `call.sdp`: see {@link ephemeralSignalHandler}. */
export const callSdpHandler = ephemeralSignalHandler("call.sdp");
/** `call.ice`: see {@link ephemeralSignalHandler}. */
export const callIceHandler = ephemeralSignalHandler("call.ice");
/** `call.state`: see {@link ephemeralSignalHandler}. */
export const callStateHandler = ephemeralSignalHandler("call.state");
