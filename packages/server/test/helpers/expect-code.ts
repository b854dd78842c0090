import { VollyError } from "@volly/protocol";
import { expect } from "vitest";

/** Awaits `promise`, expects it to reject with a VollyError of `code`, and returns that error. */
export async function expectCode(promise: Promise<unknown>, code: string): Promise<VollyError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(VollyError);
  expect((error as VollyError).code).toBe(code);
  return error as VollyError;
}
