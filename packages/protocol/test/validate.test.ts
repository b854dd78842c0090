import { describe, expect, expectTypeOf, it } from "vitest";
import { matches, parse, type RegisterAccountBody, ROUTES, VollyError } from "../src/index.js";

const Body = ROUTES.registerAccount.body;

function validBody(): RegisterAccountBody {
  return {
    handle: "alice",
    entityType: "human",
    device: { signaturePublicKey: "A".repeat(43), name: "laptop" },
    signature: "B".repeat(86),
  };
}

/** Runs `fn`, expecting it to throw a VollyError, and returns that error. */
function caught(fn: () => unknown): VollyError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(VollyError);
    return error as VollyError;
  }
  throw new Error("expected a VollyError");
}

function errorPaths(error: VollyError): string[] {
  const errors = error.details?.errors as Array<{ path: string; message: string }>;
  expect(Array.isArray(errors)).toBe(true);
  return errors.map((e) => e.path);
}

describe("parse", () => {
  it("returns the value, typed as the schema's static type", () => {
    const input: unknown = validBody();
    const value = parse(Body, input);
    expectTypeOf(value).toEqualTypeOf<RegisterAccountBody>();
    expect(value).toBe(input);
    expect(value.device.name).toBe("laptop");
  });

  it("throws VOLLY_E_BAD_REQUEST with details.errors for a bad handle", () => {
    const error = caught(() => parse(Body, { ...validBody(), handle: "Alice!" }));
    expect(error.code).toBe("VOLLY_E_BAD_REQUEST");
    expect(error.httpStatus).toBe(400);
    expect(errorPaths(error)).toEqual(["/handle"]);
    expect(error.message).toMatch(/^Invalid \/handle: /);
  });

  it("rejects an extra top-level property", () => {
    const error = caught(() => parse(Body, { ...validBody(), admin: true }));
    expect(error.code).toBe("VOLLY_E_BAD_REQUEST");
    expect(errorPaths(error)).toEqual(["/admin"]);
  });

  it("rejects an extra nested property", () => {
    const body = validBody();
    const error = caught(() => parse(Body, { ...body, device: { ...body.device, privateKey: "x" } }));
    expect(errorPaths(error)).toEqual(["/device/privateKey"]);
  });

  it("reports a missing property and a wrong type", () => {
    const { signature: _omit, ...rest } = validBody();
    expect(errorPaths(caught(() => parse(Body, rest)))).toContain("/signature");
    expect(errorPaths(caught(() => parse(Body, { ...validBody(), entityType: "robot" })))).toContain(
      "/entityType",
    );
  });

  it("lists at most 5 errors", () => {
    const error = caught(() => parse(Body, {}));
    expect(errorPaths(error).length).toBeGreaterThan(0);
    expect(errorPaths(error).length).toBeLessThanOrEqual(5);
  });

  it("rejects non-objects", () => {
    for (const input of [null, undefined, 42, "alice", []]) {
      expect(caught(() => parse(Body, input)).code).toBe("VOLLY_E_BAD_REQUEST");
    }
  });

  it("uses the given error code", () => {
    const error = caught(() => parse(Body, { ...validBody(), handle: "x" }, "VOLLY_E_HANDLE_INVALID"));
    expect(error.code).toBe("VOLLY_E_HANDLE_INVALID");
    expect(error.toBody()).toMatchObject({
      code: "VOLLY_E_HANDLE_INVALID",
      details: { errors: expect.any(Array) },
    });
  });
});

describe("matches", () => {
  it("narrows without throwing", () => {
    expect(matches(Body, validBody())).toBe(true);
    expect(matches(Body, { ...validBody(), handle: "A" })).toBe(false);
    expect(matches(Body, undefined)).toBe(false);
  });

  it("checks length bounds of keys and signatures", () => {
    const body = validBody();
    expect(matches(Body, { ...body, signature: "B".repeat(85) })).toBe(false);
    expect(matches(Body, { ...body, signature: "B".repeat(87) })).toBe(false);
    expect(matches(Body, { ...body, device: { ...body.device, signaturePublicKey: "A".repeat(44) } })).toBe(
      false,
    );
    expect(matches(Body, { ...body, device: { ...body.device, name: "" } })).toBe(false);
    expect(matches(Body, { ...body, device: { ...body.device, name: "n".repeat(65) } })).toBe(false);
  });
});
