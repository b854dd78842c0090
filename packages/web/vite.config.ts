import { svelte } from "@sveltejs/vite-plugin-svelte";
import { defineConfig } from "vite";

/**
 * The web app: Svelte 5 UI on the main thread, the whole SDK (MLS, IndexedDB, WebSocket) in a
 * module Web Worker. Output: packages/web/dist (index.html + hashed files under /assets/), served
 * by `volly serve` at `/`.
 */
export default defineConfig({
  plugins: [svelte()],
  base: "/",
  build: {
    outDir: "dist",
    assetsDir: "assets",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
    reportCompressedSize: false,
    chunkSizeWarningLimit: 2048,
  },
  worker: {
    format: "es",
  },
  server: {
    proxy: {
      "/v1": { target: process.env.VOLLY_DEV_SERVER ?? "http://127.0.0.1:7777", ws: true },
      "/healthz": { target: process.env.VOLLY_DEV_SERVER ?? "http://127.0.0.1:7777" },
    },
  },
});
