/**
 * A scripted BMS on the far side of a MemoryLink, for client and poller tests that need exact control
 * over replies (which register, when, how split, or none at all). The full battery emulator lives in
 * src/emulator; this is the small fake for unit tests.
 */
import { FrameAssembler } from "../protocol/assembler.js";
import { encodeResponse } from "../protocol/frame.js";
import { encodeBasicInfo } from "../protocol/registers/basic-info.js";
import { encodeCellVoltages } from "../protocol/registers/cell-voltages.js";
import { encodeHardwareVersion } from "../protocol/registers/hardware-version.js";
import type { RequestFrame } from "../protocol/types.js";
import { MemoryLink } from "../transport/memory.js";
import { SAMPLE_CELLS_MV, sampleBasicInfo } from "./readings.js";

/** What to send back for one request: chunks to emit (in order), or nothing (a lost reply). */
export type ScriptedReply = Uint8Array[] | undefined;

/** Decides the reply to each request (the emulator's Responder is the full JBD register map; this is a script). */
export type ReplyScript = (request: RequestFrame, bms: ScriptedBms) => ScriptedReply;

export const DEFAULT_MODEL = "DP04S007L4S200A";

/** The default answers of a healthy 4-cell pack (the first reading of the Accu-Solar BMS setup guide). */
export function healthyReply(request: RequestFrame): ScriptedReply {
  const data = HEALTHY_DATA[request.register];
  return data
    ? [encodeResponse(request.register, 0, data())]
    : [encodeResponse(request.register, 0x80, new Uint8Array(0))];
}

const HEALTHY_DATA: Record<number, () => Uint8Array> = {
  3: () => encodeBasicInfo(sampleBasicInfo()),
  4: () => encodeCellVoltages({ cellsMv: SAMPLE_CELLS_MV }),
  5: () => encodeHardwareVersion({ text: DEFAULT_MODEL }),
};

export class ScriptedBms {
  readonly requests: RequestFrame[] = [];
  readonly links: MemoryLink[] = [];
  responder: ReplyScript;
  readonly #address: string;

  constructor(address = "memory:scripted", responder: ReplyScript = healthyReply) {
    this.#address = address;
    this.responder = responder;
  }

  /** The most recent link, i.e. the current connection. */
  get link(): MemoryLink | undefined {
    return this.links.at(-1);
  }

  /** A new connection, as a transport would open one. */
  connect(): MemoryLink {
    const assembler = new FrameAssembler();
    const link: MemoryLink = new MemoryLink(this.#address, {
      onWrite: (bytes) => {
        for (const item of assembler.push(bytes)) {
          if (item.kind !== "request") continue;
          this.requests.push(item);
          const reply = this.responder(item, this);
          // replies arrive after the write returns, as from a real device
          if (reply)
            queueMicrotask(() => {
              for (const chunk of reply) link.emitData(chunk);
            });
        }
      },
    });
    this.links.push(link);
    return link;
  }
}
