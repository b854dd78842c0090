// A typed client of `volly daemon`: `paths` is generated from GET /v1/openapi.json by
// openapi-typescript (npm run generate), openapi-fetch does the requests.
//
//   VOLLY_DAEMON_URL=http://127.0.0.1:8787 VOLLY_DAEMON_KEY=vdk_… node dist/client.js CONV "hello"
import createClient from "openapi-fetch";
import type { paths } from "./api.js";

const [conversationId, text] = process.argv.slice(2);
if (!conversationId || !text) throw new Error("usage: client.js CONVERSATION_ID TEXT");

const client = createClient<paths>({
  baseUrl: process.env.VOLLY_DAEMON_URL ?? "http://127.0.0.1:8787",
  headers: { Authorization: `Bearer ${process.env.VOLLY_DAEMON_KEY}` },
});

const listed = await client.GET("/v1/conversations");
if (listed.error) throw new Error(`${listed.error.code}: ${listed.error.message}`);
for (const c of listed.data) console.log(`conversation ${c.id} ${c.kind} ${c.name}`);

const sent = await client.POST("/v1/conversations/{id}/messages", {
  params: { path: { id: conversationId } },
  body: { text },
});
if (sent.error) throw new Error(`${sent.error.code}: ${sent.error.message}`);
console.log(`sent ${sent.data.id} at ${sent.data.sentAt}`);

const recent = await client.GET("/v1/conversations/{id}/messages", {
  params: { path: { id: conversationId }, query: { limit: 5 } },
});
if (recent.error) throw new Error(`${recent.error.code}: ${recent.error.message}`);
for (const m of recent.data) console.log(`${m.from.handle}: ${m.text}`);
