/**
 * Over a wire (TCP gateway, serial) a reply takes the time its bytes need at 9600 baud, 10 bits a byte
 * (~1.04 ms): time runs on a ManualClock, so these are exact, not timed, assertions.
 */
import { connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { connectBattery } from "../../src/connect.js";
import { createEmulatedBattery, type EmulatedBattery } from "../../src/emulator/battery.js";
import { WIRE_9600, wirePacingForBaud } from "../../src/emulator/behaviors/media.js";
import { serveBatteries } from "../../src/emulator/serve.js";
import { type RunningTcpServer, serveTcp } from "../../src/emulator/tcp-server.js";
import { decodeBasicInfo } from "../../src/protocol/registers/basic-info.js";
import type { ResponseFrame } from "../../src/protocol/types.js";
import { ManualClock } from "../../src/testing/manual-clock.js";
import { concat, framesOf, hex } from "./helpers.js";

const READ_BASIC = hex("DD A5 03 00 FF FD 77"); // the reply is 41 bytes: 42.7 ms at 9600 baud

function wiredBattery(battery: EmulatedBattery, pacing = WIRE_9600) {
  const port = battery.connect({ medium: "wire", pacing });
  const chunks: Uint8Array[] = [];
  port.onSend((c) => chunks.push(c));
  return { port, chunks };
}

describe("wire pacing", () => {
  it("a TCP gateway hands over the whole reply once its 41 bytes have crossed the line", () => {
    const clock = new ManualClock();
    const { port, chunks } = wiredBattery(createEmulatedBattery({ clock, speed: 0 }));
    port.receive(READ_BASIC);
    expect(chunks).toEqual([]);
    clock.tick(42);
    expect(chunks).toEqual([]);
    clock.tick(1);
    expect(chunks.map((c) => c.length)).toEqual([41]);
  });

  it("a UART delivers byte by byte, each ~1.04 ms after the one before", () => {
    const clock = new ManualClock();
    const { port, chunks } = wiredBattery(
      createEmulatedBattery({ clock, speed: 0 }),
      wirePacingForBaud(9600, 1),
    );
    port.receive(READ_BASIC);
    clock.tick(10.5); // 10 bytes take 10.42 ms
    expect(chunks).toHaveLength(10);
    expect(chunks.every((c) => c.length === 1)).toBe(true);
    clock.tick(32.3);
    expect(concat(chunks)).toHaveLength(41);
  });

  it("a split fault says otherwise: 7-byte pieces, each after its own 7.3 ms", () => {
    const clock = new ManualClock();
    const battery = createEmulatedBattery({ clock, speed: 0, faults: [{ kind: "split", value: 7 }] });
    const { port, chunks } = wiredBattery(battery);
    port.receive(READ_BASIC);
    clock.tick(7.2);
    expect(chunks).toHaveLength(0);
    clock.tick(0.1);
    expect(chunks.map((c) => c.length)).toEqual([7]);
    clock.tick(36);
    expect(chunks.map((c) => c.length)).toEqual([7, 7, 7, 7, 7, 6]);
  });

  it("waits are scheduled, not chained: a late timer shortens the next waits", () => {
    const clock = new ManualClock();
    const { port, chunks } = wiredBattery(
      createEmulatedBattery({ clock, speed: 0 }),
      wirePacingForBaud(9600, 1),
    );
    port.receive(READ_BASIC);
    clock.tick(50); // one late wake-up: every byte is due, and they all go out now
    expect(concat(chunks)).toHaveLength(41);
  });

  it("BLE stays unpaced: 20 + 20 + 1 at once", () => {
    const clock = new ManualClock();
    const port = createEmulatedBattery({ clock, speed: 0 }).connect();
    const chunks: Uint8Array[] = [];
    port.onSend((c) => chunks.push(c));
    port.receive(READ_BASIC);
    expect(chunks.map((c) => c.length)).toEqual([20, 20, 1]);
  });
});

describe("the TCP server paces by default", () => {
  let server: RunningTcpServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it("answers a raw client only when the line time has passed, with a reply the decoder reads", async () => {
    const clock = new ManualClock();
    const battery = createEmulatedBattery({ clock, speed: 0 });
    server = await serveTcp(battery, { host: "127.0.0.1", port: 0 });
    const received: Uint8Array[] = [];
    const socket = connect(server.port, "127.0.0.1");
    socket.on("data", (d: Buffer) => received.push(new Uint8Array(d)));
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    socket.write(READ_BASIC);
    for (let i = 0; i < 400 && battery.requests.length === 0; i++)
      await new Promise((r) => setTimeout(r, 25));
    expect(battery.requests).toHaveLength(1);
    expect(clock.pending).toBe(1); // the reply waits for its line time
    expect(received).toEqual([]);
    clock.tick(43);
    for (let i = 0; i < 400 && concat(received).length < 41; i++) await new Promise((r) => setTimeout(r, 25));
    const [frame] = framesOf(received);
    const info = decodeBasicInfo((frame as ResponseFrame).data);
    expect(info.ok && info.value.voltageV).toBe(13.45);
    socket.destroy();
  });
});

describe("pacing is the caller's choice", () => {
  it("a serve request with { msPerByte: 0 } answers at once (fast tests)", async () => {
    const clock = new ManualClock();
    const battery = createEmulatedBattery({ clock, speed: 0 });
    const served = await serveBatteries(
      [battery],
      [{ kind: "tcp", host: "127.0.0.1", port: 0, pacing: { msPerByte: 0 } }],
    );
    try {
      const jbd = await connectBattery(`tcp:127.0.0.1:${served.endpoints[0]?.[0]?.port}`);
      try {
        // no clock.tick(): with pacing the reply would wait on the manual clock for ever
        expect((await jbd.client.readBasicInfo()).voltageV).toBe(13.45);
      } finally {
        await jbd.close();
      }
    } finally {
      await served.close();
    }
  });
});
