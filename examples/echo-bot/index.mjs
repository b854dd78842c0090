// Echo bot: answers every message with its text, in DMs, groups and community channels (README.md).
import { startBot } from "@volly/bot";

const bot = await startBot({
  dir: process.env.VOLLY_BOT_DIR ?? "./echo-bot-profile", // its keys and messages (sealed at rest)
  secret: process.env.VOLLY_BOT_SECRET, // 6 digits sealing that profile
  server: process.env.VOLLY_SERVER ?? "http://127.0.0.1:7777", // used when the profile is created
  handle: process.env.VOLLY_BOT_HANDLE ?? "echo",
});
bot.onMessage((message) => (message.text ? message.reply(message.text) : undefined));
process.once("SIGINT", () => bot.close());
process.once("SIGTERM", () => bot.close());
console.log(`@${bot.handle} is listening`);
