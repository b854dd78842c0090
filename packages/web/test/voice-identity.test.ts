import { describe, expect, it } from "vitest";
import { newVoiceCallId, parseVoiceDisplay, voiceDisplay } from "../src/lib/voice/voice-identity.js";

const CHANNEL = "AAAAAAAAAAAAAAAAAAAAAA";
const ACCOUNT = "BBBBBBBBBBBBBBBBBBBBBB";

/** The Janus `display` a voice participant announces: who it is and the call id its frames are sealed under. */
describe("voice identity", () => {
  it("each join has its own call id in the channel's namespace, and it reads back", () => {
    const a = newVoiceCallId(CHANNEL);
    const b = newVoiceCallId(CHANNEL);
    expect(a).not.toBe(b);
    expect(a.startsWith(`voice:${CHANNEL}:`)).toBe(true);
    expect(parseVoiceDisplay(voiceDisplay(ACCOUNT, a), CHANNEL)).toEqual({ accountId: ACCOUNT, callId: a });
  });

  it("refuses a display that does not parse or names another channel's call", () => {
    const other = newVoiceCallId("CCCCCCCCCCCCCCCCCCCCCC");
    expect(parseVoiceDisplay(voiceDisplay(ACCOUNT, other), CHANNEL)).toBeUndefined();
    expect(parseVoiceDisplay(undefined, CHANNEL)).toBeUndefined();
    expect(parseVoiceDisplay("Ada", CHANNEL)).toBeUndefined();
    expect(parseVoiceDisplay(`${ACCOUNT} voice:${CHANNEL}:short`, CHANNEL)).toBeUndefined();
    expect(parseVoiceDisplay(`${ACCOUNT} ${newVoiceCallId(CHANNEL)} extra`, CHANNEL)).toBeUndefined();
    expect(parseVoiceDisplay(`<b>x</b> ${newVoiceCallId(CHANNEL)}`, CHANNEL)).toBeUndefined();
  });
});
