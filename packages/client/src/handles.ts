/**
 * `@volly/client/handles`: the SDK's pure functions about handles and mentions across servers,
 * without the rest of the SDK (for a browser's main thread, whose SDK runs in a worker).
 */
export { homeServerOf, ownServerNames, serverNameOfUrl, typedHandle } from "./account/server-name.js";
export { handleMentions, mentionsAsSeenBy } from "./messaging/mentions.js";
