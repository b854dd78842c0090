import { describe, expect, it } from "vitest";
import { ERROR_CODES, type ErrorCode, isErrorCode, retryClass, VollyError } from "../src/index.js";

const entries = Object.entries(ERROR_CODES) as Array<[ErrorCode, (typeof ERROR_CODES)[ErrorCode]]>;

describe("ERROR_CODES", () => {
  it.each(entries)("%s is well-formed", (code, entry) => {
    expect(code).toMatch(/^VOLLY_E_[A-Z_]+$/);
    expect(Number.isInteger(entry.http)).toBe(true);
    expect(entry.http).toBeGreaterThanOrEqual(400);
    expect(entry.http).toBeLessThanOrEqual(599);
    expect(Number.isInteger(entry.close)).toBe(true);
    const standard = [1001, 1009, 1011].includes(entry.close);
    const application = entry.close >= 4000 && entry.close <= 4999;
    expect(standard || application).toBe(true);
    expect(entry.message.length).toBeGreaterThan(0);
    expect(entry.message).toMatch(/[.!?]$/);
    expect(["never", "later", "reauth"]).toContain(entry.retry);
    expect(Object.keys(entry).sort()).toEqual(["close", "http", "message", "retry"]);
  });

  it("has unique messages", () => {
    const messages = entries.map(([, e]) => e.message);
    expect(new Set(messages).size).toBe(messages.length);
  });
});

describe("VollyError", () => {
  it("defaults its message to the registry's and maps status and close code", () => {
    const error = new VollyError("VOLLY_E_STALE_EPOCH");
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("VollyError");
    expect(error.message).toBe(ERROR_CODES.VOLLY_E_STALE_EPOCH.message);
    expect(error.httpStatus).toBe(409);
    expect(error.closeCode).toBe(ERROR_CODES.VOLLY_E_STALE_EPOCH.close);
    expect(error.toBody()).toEqual({ code: "VOLLY_E_STALE_EPOCH", message: error.message });
  });

  it("carries a specific message and details", () => {
    const error = new VollyError("VOLLY_E_STALE_EPOCH", "epoch 3 is stale", { currentEpoch: 4 });
    expect(error.toBody()).toEqual({
      code: "VOLLY_E_STALE_EPOCH",
      message: "epoch 3 is stale",
      details: { currentEpoch: 4 },
    });
  });
});

describe("isErrorCode", () => {
  it("accepts registered codes only", () => {
    for (const [code] of entries) expect(isErrorCode(code)).toBe(true);
    for (const value of ["VOLLY_E_NOPE", "toString", "__proto__", "", 42, null, undefined]) {
      expect(isErrorCode(value)).toBe(false);
    }
  });
});

describe("retryClass", () => {
  it("says which failures are worth the same request again, and after what", () => {
    // transient: the work is kept and retried with backoff
    for (const code of [
      "VOLLY_E_SERVER_UNREACHABLE",
      "VOLLY_E_RATE_LIMITED",
      "VOLLY_E_SHUTTING_DOWN",
    ] as const) {
      expect(retryClass(new VollyError(code))).toBe("later");
    }
    expect(retryClass(new VollyError("VOLLY_E_INTERNAL"))).toBe("later");
    // a new session first
    expect(retryClass(new VollyError("VOLLY_E_NOT_AUTHENTICATED"))).toBe("reauth");
    // the same bytes can never succeed: a stale commit is rebuilt, a bad request dropped
    expect(retryClass(new VollyError("VOLLY_E_STALE_EPOCH"))).toBe("never");
    expect(retryClass(new VollyError("VOLLY_E_BAD_REQUEST"))).toBe("never");
    expect(retryClass(new VollyError("VOLLY_E_DEVICE_REVOKED"))).toBe("never");
  });

  it("reads codes as well as errors; anything unregistered is never retried", () => {
    expect(retryClass("VOLLY_E_SERVER_UNREACHABLE")).toBe("later");
    for (const value of [new Error("disk full"), new TypeError("bug"), "VOLLY_E_NOPE", undefined, null]) {
      expect(retryClass(value)).toBe("never");
    }
  });
});

describe("VollyError across copies of @volly/protocol", () => {
  /** A VollyError as another copy of this module (the bundled CLI's, the server's) makes it. */
  const otherCopys = () =>
    Object.assign(new Error("x"), { code: "VOLLY_E_USAGE", [Symbol.for("volly.error")]: true });

  it("is recognised by instanceof, whichever copy made it; plain errors are not", () => {
    expect(otherCopys() instanceof VollyError).toBe(true);
    expect(new VollyError("VOLLY_E_USAGE") instanceof VollyError).toBe(true);
    expect(new Error("x") instanceof VollyError).toBe(false);
    expect((null as unknown) instanceof VollyError).toBe(false);
  });

  it("a subclass keeps the ordinary check: a plain VollyError is not one", () => {
    class NarrowError extends VollyError {}
    expect(new NarrowError("VOLLY_E_USAGE") instanceof VollyError).toBe(true);
    expect(new VollyError("VOLLY_E_USAGE") instanceof NarrowError).toBe(false);
    expect(otherCopys() instanceof NarrowError).toBe(false);
  });
});
