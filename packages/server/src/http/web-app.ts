import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join, resolve, sep } from "node:path";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

/** Cache-Control of hashed build files under `/assets/` (their names change with their content). */
export const IMMUTABLE_CACHE = "public, max-age=31536000, immutable";

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Volly</title></head>
<body><h1>Volly</h1><p>The web app is not built. Run <code>npm run build</code>, then reload this page.</p>
<p>The server itself is running: the API is at <code>/v1</code>.</p></body></html>
`;

/**
 * Answers a request the router did not match with the web app's index.html (single-page app
 * routing); resolves undefined when the request is not one the app handles.
 */
export type SpaFallback = (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply> | undefined;

/**
 * True for paths the web app's router owns: anything but the API (`/v1`, `/v1/*`), `/healthz`,
 * `/readyz`, `/metrics` and `/assets/*` (a missing hashed asset is a 404, never HTML).
 *
 * @param url the request URL (path and query)
 */
export function isAppPath(url: string): boolean {
  const path = url.split("?", 1)[0] ?? "";
  if (path === "/v1" || path.startsWith("/v1/")) return false;
  if (path === "/healthz" || path === "/readyz" || path === "/metrics") return false;
  return !path.startsWith("/assets/");
}

/**
 * Serves the built web app from `webDir` (a Vite build: index.html plus hashed files in assets/)
 * with @fastify/static:
 *
 * - files under `/`: `/assets/*` with {@link IMMUTABLE_CACHE}, everything else `no-cache`; dotfiles
 *   are not served;
 * - `GET /` and `GET /i/:token` (invite links; the token stays in the browser, and the request log
 *   records the route pattern only) answer index.html (`no-cache`);
 * - the returned {@link SpaFallback} answers any other GET/HEAD of an app path (see
 *   {@link isAppPath}) that is not a file with index.html; install it in the not-found handler.
 *
 * When `webDir` has no index.html (the web app is not built yet) these answer a small HTML page
 * saying so. The directory is checked per request, so building while the server runs works.
 *
 * @param webDir directory of the build (made absolute); it need not exist
 */
export async function registerWebApp(app: FastifyInstance, webDir: string): Promise<SpaFallback> {
  const root = resolve(webDir);
  const assets = join(root, "assets") + sep;
  const indexFile = join(root, "index.html");

  await app.register(fastifyStatic, {
    root,
    prefix: "/",
    index: false,
    dotfiles: "ignore",
    cacheControl: false,
    suppressWarning: true,
    setHeaders(reply, path) {
      reply.header("cache-control", path.startsWith(assets) ? IMMUTABLE_CACHE : "no-cache");
    },
  });

  if (!existsSync(indexFile)) app.log.info({ webDir: root }, "web app not built: / explains how to build it");

  const sendIndex = async (reply: FastifyReply): Promise<FastifyReply> => {
    let html: Buffer;
    try {
      html = await readFile(indexFile);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code !== "ENOENT" && code !== "ENOTDIR") throw error;
      return reply
        .code(200)
        .type("text/html; charset=utf-8")
        .header("cache-control", "no-store")
        .send(NOT_BUILT_PAGE);
    }
    return reply.code(200).type("text/html; charset=utf-8").header("cache-control", "no-cache").send(html);
  };

  app.get("/", async (_request, reply) => sendIndex(reply));
  app.get("/i/:token", async (_request, reply) => sendIndex(reply));

  return (request, reply) => {
    if (request.method !== "GET" && request.method !== "HEAD") return undefined;
    if (!isAppPath(request.url)) return undefined;
    return sendIndex(reply);
  };
}
