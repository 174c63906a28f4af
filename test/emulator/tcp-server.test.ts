import { connect, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createEmulatedBattery } from "../../src/emulator/battery.js";
import { decodeResponse } from "../../src/protocol/registers/index.js";
import type { ResponseFrame } from "../../src/protocol/types.js";
import { startTcpEmulator, type TcpEmulator } from "../../src/testing/tcp-emulator.js";
import { openTcpLink } from "../../src/transport/tcp.js";
import { concat, framesOf, hex } from "./helpers.js";

let running: TcpEmulator[] = [];
afterEach(async () => {
  await Promise.all(running.map((r) => r.close()));
  running = [];
});

async function start(options: Parameters<typeof startTcpEmulator>[0] = {}): Promise<TcpEmulator> {
  const emulator = await startTcpEmulator({ speed: 0, ...options });
  running.push(emulator);
  return emulator;
}

/** Collects bytes until `enough` holds or the socket closes. */
function rawClient(port: number): Promise<{ socket: Socket; received: Uint8Array[]; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const received: Uint8Array[] = [];
    const closed = new Promise<void>((done) => socket.on("close", () => done()));
    socket.on("data", (d) => received.push(new Uint8Array(d)));
    socket.once("error", reject);
    socket.once("connect", () => resolve({ socket, received, closed }));
  });
}

async function waitFor(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
}

describe("TCP server (RS485-to-Ethernet gateway)", () => {
  it("answers a 0x03 request through the project's TCP link with the model's state", async () => {
    const emulator = await start();
    const link = await openTcpLink({ host: "127.0.0.1", port: emulator.port }, { timeoutMs: 2000 });
    const chunks: Uint8Array[] = [];
    link.onData((c) => chunks.push(c));
    await link.write(hex("DD A5 03 00 FF FD 77"));
    await waitFor(() => concat(chunks).length >= 41);
    const [frame] = framesOf(chunks);
    const decoded = decodeResponse(frame as ResponseFrame);
    expect(decoded).toMatchObject({
      ok: true,
      value: { type: "basic_info", value: { voltageV: 13.45, socPct: 71 } },
    });
    expect(emulator.battery.requests[0]).toMatchObject({ op: "read", register: 3 });
    await link.close();
  });

  it("refuses a second client while one is connected, and accepts again after it leaves", async () => {
    const emulator = await start();
    const first = await rawClient(emulator.port);
    await waitFor(() => emulator.battery.isConnected);
    const second = await rawClient(emulator.port);
    await second.closed;
    expect(second.received).toEqual([]);
    first.socket.destroy();
    await first.closed;
    await waitFor(() => !emulator.battery.isConnected);
    const third = await rawClient(emulator.port);
    third.socket.write(hex("DD A5 04 00 FF FC 77"));
    await waitFor(() => concat(third.received).length >= 15);
    expect(concat(third.received).slice(0, 2)).toEqual(hex("DD 04"));
    third.socket.destroy();
  });

  it("closes the connection mid-frame on a disconnect fault", async () => {
    const emulator = await start({ faults: [{ kind: "disconnect" }] });
    const client = await rawClient(emulator.port);
    client.socket.write(hex("DD A5 03 00 FF FD 77"));
    await client.closed;
    expect(concat(client.received)).toHaveLength(20);
  });

  it("reports a port in use as PORT_IN_USE", async () => {
    const emulator = await start();
    const { serveTcp } = await import("../../src/emulator/tcp-server.js");
    await expect(
      serveTcp(createEmulatedBattery(), { host: "127.0.0.1", port: emulator.port }),
    ).rejects.toMatchObject({
      code: "PORT_IN_USE",
    });
  });
});
