// @ts-check
import { startBot } from "@volly/bot";
import { complete } from "./chat-completions.mjs";
import { readConfig } from "./config.mjs";
import { asksForSummary, summaryPrompt, summaryText } from "./summary-request.mjs";

const config = readConfig(process.env);
const bot = await startBot(config.bot);
console.error(`summary-agent: ready as @${bot.handle}`);

bot.onMessage(async (message) => {
  if (!asksForSummary(message.text, bot.handle)) return;
  const history = (await bot.messages(message.conversationId, { limit: 100 })).filter(
    (m) => m.id !== message.id && m.sentAt <= message.sentAt,
  );
  const prompt = summaryPrompt(history);
  if (!prompt) return void (await message.reply("There is nothing to summarise yet."));
  try {
    await message.reply(summaryText(await complete(config.llm, prompt)));
  } catch (err) {
    console.error(`summary-agent: no summary for ${message.conversationId}: ${err}`);
    await message.reply(
      `Sorry, I could not summarise this conversation (${err instanceof Error ? err.message : err}).`,
    );
  }
});

for (const signal of /** @type {const} */ (["SIGINT", "SIGTERM"]))
  process.once(signal, () => void bot.close());
