// Bundles the compiled CLI (dist/main.js and what it imports from the workspace and npm) into
// bundle/, which dist/bin.js runs when it is up to date: loading a few files instead of ~700 ES
// modules is most of a command's start-up time. Left out, and loaded from node_modules as usual:
// native or optional-binary packages (better-sqlite3, ws), and what only some commands load, on
// use (the server for `serve`, `migrate` and `backup`; werift for direct paths; Fastify for the
// daemon; MQTT for the bridge).
import { fileURLToPath } from "node:url";

const here = (path) => fileURLToPath(new URL(path, import.meta.url));

export default {
  input: { main: here("./dist/main.js") },
  platform: "node",
  external: [/^node:/, "better-sqlite3", "ws", "werift", "fastify", /^@fastify\//, "mqtt", "@volly/server"],
  logLevel: "warn",
  output: {
    dir: here("./bundle"),
    format: "esm",
    entryFileNames: "[name].js",
    chunkFileNames: "[name]-[hash].js",
  },
};
