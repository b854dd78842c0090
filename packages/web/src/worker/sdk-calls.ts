/**
 * Makes an allowed call (one `resolveCall` accepted) on a {@link VollyClient}: the one place the
 * worker touches the client by name, so that nothing but the allow-list can be reached.
 */
import type { VollyClient } from "@volly/client";
import { VollyError } from "@volly/protocol";
import { RESULT_VIEWS } from "./result-views.js";
import type { SdkCall } from "./sdk-surface.js";

/**
 * Calls (or, for a member that is not a method, reads) the allowed member `call` names on `client`
 * with `args`, and returns the result in its view. Throws what the SDK throws, and
 * VOLLY_E_BAD_REQUEST for arguments to a member that is read.
 */
export async function invokeSdk(client: VollyClient, call: SdkCall, args: unknown[]): Promise<unknown> {
  const root = client as unknown as Record<string, unknown>;
  const owner = (call.service === undefined ? root : root[call.service]) as Record<string, unknown>;
  const member = owner[call.member];
  let result: unknown;
  if (typeof member === "function") {
    result = await (member as (...a: unknown[]) => unknown).apply(owner, args);
  } else if (args.length === 0) {
    result = member;
  } else {
    throw new VollyError("VOLLY_E_BAD_REQUEST", `${call.member} is read, not called with arguments.`);
  }
  return (RESULT_VIEWS[call.view] as (value: unknown) => unknown)(result);
}
