import { describe, expect, it } from "vitest";
import { appFixture } from "./helpers/app.js";

describe("Strict-Transport-Security (RFC 6797)", () => {
  it("is sent behind a trusted proxy that says the request came over https, never on plain http", async () => {
    const f = await appFixture({ trustProxy: ["127.0.0.1"] });
    try {
      const get = (url: string, remoteAddress: string, proto?: string) =>
        f.app.inject({
          method: "GET",
          url,
          remoteAddress,
          headers: proto ? { "x-forwarded-proto": proto } : {},
        });
      for (const url of ["/healthz", "/v1/accounts/nobody1", "/v1/nowhere"]) {
        const https = await get(url, "127.0.0.1", "https");
        expect(https.headers["strict-transport-security"]).toBe("max-age=31536000");
        expect(https.headers["x-content-type-options"]).toBe("nosniff");
        expect((await get(url, "127.0.0.1", "http")).headers["strict-transport-security"]).toBeUndefined();
        expect((await get(url, "127.0.0.1")).headers["strict-transport-security"]).toBeUndefined();
        // An untrusted client claiming https is on plain http.
        expect((await get(url, "203.0.113.7", "https")).headers["strict-transport-security"]).toBeUndefined();
      }
    } finally {
      await f.close();
    }
  });

  it("is not sent when no proxy is trusted, whatever X-Forwarded-Proto says", async () => {
    const f = await appFixture();
    try {
      const res = await f.app.inject({
        method: "GET",
        url: "/healthz",
        remoteAddress: "127.0.0.1",
        headers: { "x-forwarded-proto": "https" },
      });
      expect(res.statusCode).toBe(200);
      expect(res.headers["strict-transport-security"]).toBeUndefined();
    } finally {
      await f.close();
    }
  });
});
