import type { WireError } from "./rpc-types.js";

/** An SDK error as the UI sees it: the VollyError's code, message and details. */
export class SdkError extends Error {
  readonly code: string;
  readonly details: Record<string, unknown> | undefined;

  constructor(wire: WireError) {
    super(wire.message);
    this.name = "SdkError";
    this.code = wire.code;
    this.details = wire.details;
  }
}
