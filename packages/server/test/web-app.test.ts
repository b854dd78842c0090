import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removableTempDir } from "../../../test/helpers/temp-dir.js";
import { CONTENT_SECURITY_POLICY } from "../src/http/security-headers.js";
import { type AppFixture, appFixture } from "./helpers/app.js";

const INDEX = '<!doctype html><html><head><script type="module" src="/assets/app.js"></script></head></html>';
const APP_JS = "console.log('volly');";

type Res = { statusCode: number; headers: Record<string, unknown>; body: string; json: () => unknown };

function expectIndexHtml(res: Res, body = INDEX) {
  expect(res.statusCode).toBe(200);
  expect(res.headers["content-type"]).toMatch(/^text\/html/);
  expect(res.headers["content-security-policy"]).toBe(CONTENT_SECURITY_POLICY);
  expect(res.headers["x-content-type-options"]).toBe("nosniff");
  expect(res.headers["referrer-policy"]).toBe("no-referrer");
  expect(res.body).toContain(body);
}

function expectJson404(res: Res) {
  expect(res.statusCode).toBe(404);
  expect(res.headers["content-type"]).toMatch(/^application\/json/);
  expect((res.json() as { code: string }).code).toBe("VOLLY_E_NOT_FOUND");
}

describe("the web app served by the server", () => {
  let f: AppFixture;
  let web: { dir: string; remove: () => void };
  beforeAll(async () => {
    web = removableTempDir();
    mkdirSync(`${web.dir}/assets`);
    writeFileSync(`${web.dir}/index.html`, INDEX);
    writeFileSync(`${web.dir}/assets/app.js`, APP_JS);
    writeFileSync(`${web.dir}/.secret`, "do not serve");
    f = await appFixture({ webDir: web.dir });
  });
  afterAll(async () => {
    await f.close();
    web.remove();
  });
  const get = (url: string) => f.app.inject({ method: "GET", url });

  it("answers /, invite links and any other app route with index.html, a CSP and no-cache", async () => {
    for (const url of ["/", "/i/abc.def", "/some/route", "/conversations/x?tab=1"]) {
      const res = await get(url);
      expectIndexHtml(res);
      expect(res.headers["cache-control"], url).toBe("no-cache");
    }
    const direct = await get("/index.html");
    expectIndexHtml(direct);
    expect(direct.headers["cache-control"]).toBe("no-cache");
  });

  it("serves hashed assets with a JavaScript content type and a long immutable cache", async () => {
    const res = await get("/assets/app.js");
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^(text|application)\/javascript/);
    expect(res.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    expect(res.headers["x-content-type-options"]).toBe("nosniff");
    expect(res.headers["content-security-policy"]).toBeUndefined();
    expect(res.body).toBe(APP_JS);
  });

  it("keeps the API's JSON 404s: unknown /v1 routes, missing assets, non-GET methods", async () => {
    expectJson404(await get("/v1/nope"));
    expectJson404(await get("/v1"));
    expectJson404(await get("/metrics")); // served on the metrics listener only
    expectJson404(await get("/assets/missing-abc123.js"));
    expectJson404(await f.app.inject({ method: "POST", url: "/some/route", payload: {} }));
    const health = await get("/healthz");
    expect(health.statusCode).toBe(200);
    expect(health.headers["content-type"]).toMatch(/^application\/json/);
  });

  it("does not serve dotfiles or paths outside the web directory", async () => {
    const dotfile = await get("/.secret");
    expect(dotfile.body).not.toContain("do not serve");
    expectJson404(await get("/assets/..%2f..%2fetc%2fpasswd"));
    expectJson404(await get("/assets/"));
    const encoded = await get("/%2e%2e/%2e%2e/etc/passwd");
    expect(encoded.body).not.toContain("root:");
  });

  it("logs invite links by route pattern, never their token", async () => {
    await get("/i/secret-token.signature");
    await get("/i/other/secret-path");
    expect(f.logs()).toContain('"url":"/i/:token"');
    expect(f.logs()).not.toContain("secret-token");
    expect(f.logs()).not.toContain("secret-path");
  });
});

describe("the web app when it is not built", () => {
  it("answers / and app routes with a page saying so (with the CSP), and picks up a later build", async () => {
    const web = removableTempDir();
    const f = await appFixture({ webDir: `${web.dir}/dist` });
    try {
      for (const url of ["/", "/i/abc.def", "/some/route"]) {
        const res = await f.app.inject({ method: "GET", url });
        expectIndexHtml(res, "The web app is not built");
        expect(res.body).toContain("npm run build");
      }
      expectJson404(await f.app.inject({ method: "GET", url: "/v1/nope" }));

      mkdirSync(`${web.dir}/dist/assets`, { recursive: true });
      writeFileSync(`${web.dir}/dist/index.html`, INDEX);
      writeFileSync(`${web.dir}/dist/assets/app.js`, APP_JS);
      expectIndexHtml(await f.app.inject({ method: "GET", url: "/" }));
      expect((await f.app.inject({ method: "GET", url: "/assets/app.js" })).body).toBe(APP_JS);
      rmSync(`${web.dir}/dist`, { recursive: true });
    } finally {
      await f.close();
      web.remove();
    }
  });
});
