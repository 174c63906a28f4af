/**
 * decode_frames_per_s: a poll's worth of replies (0x03 + 0x04 from the SP04S034 V1.3 capture) through
 * the assembler and the register decoders, the 0x03 frame split in 20-byte chunks as BLE delivers it.
 */
import { FrameAssembler } from "../src/protocol/assembler.js";
import { decodeResponse } from "../src/protocol/registers/index.js";
import { fixtureBytes, loadFrameFixtures } from "../test/support/frame-fixtures.js";
import { type BenchSection, measureRate } from "./types.js";

const BLE_NOTIFICATION = 20;

function pollReplies(): { chunks: Uint8Array[]; frames: number } {
  const file = loadFrameFixtures().find((fixture) => fixture.file === "jbd-sp04s034-v1.3-ble.json");
  const byRegister = (register: number) => {
    const frame = file?.frames.find(
      (f) => f.expected.register === register && f.expected.kind === "response",
    );
    if (!frame) throw new Error(`bench: fixture 0x0${register} missing`);
    return fixtureBytes(frame.hex);
  };
  const basic = byRegister(3);
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < basic.length; at += BLE_NOTIFICATION)
    chunks.push(basic.subarray(at, at + BLE_NOTIFICATION));
  chunks.push(byRegister(4));
  return { chunks, frames: 2 };
}

export const decodeSection: BenchSection = {
  name: "decode",
  async run({ quick }) {
    const { chunks, frames } = pollReplies();
    const assembler = new FrameAssembler();
    let decoded = 0;
    const step = () => {
      for (const chunk of chunks) {
        for (const item of assembler.push(chunk)) {
          if (item.kind === "response" && decodeResponse(item).ok) decoded++;
        }
      }
      return frames;
    };
    step(); // warm-up
    decoded = 0;
    const { perSecond, count } = measureRate(quick ? 500 : 3000, step);
    const problems = decoded === count ? [] : [`decoded ${decoded} of ${count} frames`];
    return {
      figures: [{ key: "decode_frames_per_s", value: Math.round(perSecond), unit: "frames/s" }],
      problems,
    };
  },
};
