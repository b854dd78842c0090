import { request as httpRequest } from "node:http";
import { ERROR_CODES, isErrorCode, LIMITS } from "@volly/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AppFixture, appFixture, type HttpDevice, registerOverHttp } from "./helpers/app.js";

/** A raw HTTP/1.1 exchange over a socket (no client-side URL or header checks). */
function rawRequest(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port, method, path, headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => {
        body += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** Every error answer: the registry's status, a `{code, message}` body, the security headers. */
function expectTypedError(
  res: { status: number; headers: Record<string, unknown>; body: string },
  code: string,
) {
  expect(res.status).toBe(ERROR_CODES[code as keyof typeof ERROR_CODES].http);
  const body = JSON.parse(res.body) as { code: unknown; message: unknown };
  expect(isErrorCode(body.code)).toBe(true);
  expect(body.code).toBe(code);
  expect(typeof body.message).toBe("string");
  expect(res.body).not.toContain("FST_ERR");
  expect(res.headers["x-content-type-options"]).toBe("nosniff");
  expect(res.headers["referrer-policy"]).toBe("no-referrer");
}

describe("every error is a typed {code, message} with the security headers", () => {
  let f: AppFixture;
  let port: number;
  let alice: HttpDevice;
  beforeAll(async () => {
    f = await appFixture();
    port = Number(new URL(await f.app.listen({ port: 0, host: "127.0.0.1" })).port);
    alice = await registerOverHttp(f.app);
  });
  afterAll(() => f.close());

  const inject = async (method: "GET" | "POST", url: string, payload?: string) => {
    const res = await f.app.inject({
      method,
      url,
      headers: { ...alice.auth, ...(payload ? { "content-type": "application/json" } : {}) },
      ...(payload ? { payload } : {}),
    });
    return { status: res.statusCode, headers: res.headers, body: res.body };
  };

  it("refuses arrays nested 50,000 deep in claim and commit bodies with 400 VOLLY_E_BAD_REQUEST, logging no internal error", async () => {
    const deep = `${"[".repeat(50_000)}${"]".repeat(50_000)}`;
    const claim = await inject("POST", "/v1/key-packages/claim", `{"deviceIds":${deep}}`);
    expectTypedError(claim, "VOLLY_E_BAD_REQUEST");
    expect(JSON.parse(claim.body).details).toEqual({ maxDepth: LIMITS.maxJsonDepth });
    const commit = await inject(
      "POST",
      "/v1/groups/AAAAAAAAAAAAAAAAAAAAAA/commits",
      `{"epoch":0,"commit":"AA","addDeviceIds":${deep},"removeDeviceIds":[],"ratchetTree":"AA"}`,
    );
    expectTypedError(commit, "VOLLY_E_BAD_REQUEST");
    // Nesting within the limit still reaches validation (and is refused by the schema, not the parser).
    const shallow = await inject(
      "POST",
      "/v1/key-packages/claim",
      `{"deviceIds":[[[["x"]]]],"reason":{"type":"first-contact"}}`,
    );
    expectTypedError(shallow, "VOLLY_E_BAD_REQUEST");
    expect(JSON.parse(shallow.body).message).toMatch(/deviceIds/);
    expect(f.logs()).not.toContain('"level":50');
    expect(f.logs()).not.toContain("Maximum call stack");
  });

  it("answers a URL whose percent-encoding does not decode with 400 VOLLY_E_BAD_REQUEST", async () => {
    for (const path of ["/v1/accounts/%E0%A4%A", "/v1/devices/%", "/v1/groups/%ZZ/group-info", "/%C0%AF"]) {
      const res = await rawRequest(port, "GET", path);
      expectTypedError(res, "VOLLY_E_BAD_REQUEST");
      expect(res.body).not.toContain("%");
    }
  });

  it("answers an over-long path parameter, request line or header with a typed error", async () => {
    // Over the router's parameter limit: no route matches.
    expectTypedError(await rawRequest(port, "GET", `/v1/accounts/${"a".repeat(3_000)}`), "VOLLY_E_NOT_FOUND");
    // Over Node's 16 KiB header limit: refused before a request exists.
    expectTypedError(
      await rawRequest(port, "GET", `/v1/accounts/${"a".repeat(17_000)}`),
      "VOLLY_E_HEADERS_TOO_LARGE",
    );
    expectTypedError(
      await rawRequest(port, "GET", "/healthz", { "x-padding": "a".repeat(20_000) }),
      "VOLLY_E_HEADERS_TOO_LARGE",
    );
    // The server is fine afterwards.
    expect((await rawRequest(port, "GET", "/healthz")).status).toBe(200);
  });
});
