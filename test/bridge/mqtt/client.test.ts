/**
 * The bridge's mqtt.js client (src/bridge/mqtt/client.ts): the broker URL read as mqtt.connect() reads it,
 * a real socket to a local server, and — the reason it exists — no WebSocket code loaded for a TCP broker.
 */
import { execFileSync } from "node:child_process";
import { createServer, type Server, type Socket } from "node:net";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { brokerAddress, createMqttClient } from "../../../src/bridge/mqtt/client.js";

describe("brokerAddress", () => {
  it.each([
    ["mqtt://broker.local", { protocol: "mqtt", hostname: "broker.local", port: 1883 }],
    ["mqtts://broker.local", { protocol: "mqtts", hostname: "broker.local", port: 8883 }],
    ["mqtt://10.0.0.2:18830", { protocol: "mqtt", hostname: "10.0.0.2", port: 18830 }],
    ["mqtts://[::1]:8884", { protocol: "mqtts", hostname: "::1", port: 8884 }],
    [
      "mqtt://pi%40shed:p%3Ass@broker:1884",
      { protocol: "mqtt", hostname: "broker", port: 1884, username: "pi@shed", password: "p:ss" },
    ],
  ])("%s", (url, expected) => {
    expect(brokerAddress(new URL(url))).toEqual(expected);
  });
});

describe("createMqttClient", () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    server = undefined;
  });

  it("connects to the URL's host and port and sends CONNECT; the settings' user name wins over the URL's", async () => {
    const firstBytes = new Promise<Buffer>((resolve) => {
      server = createServer((socket: Socket) => socket.once("data", resolve));
    });
    const port = await new Promise<number>((resolve) =>
      server?.listen(0, "127.0.0.1", () => {
        const address = server?.address();
        resolve(typeof address === "object" && address ? address.port : 0);
      }),
    );
    const client = createMqttClient(new URL(`mqtt://url-user:url-pass@127.0.0.1:${port}`), {
      clientId: "client-test",
      username: "settings-user",
      reconnectPeriod: 0,
    });
    try {
      const packet = await firstBytes;
      expect(packet[0]).toBe(0x10); // CONNECT
      expect(packet.includes(Buffer.from("client-test"))).toBe(true);
      expect(packet.includes(Buffer.from("settings-user"))).toBe(true);
      expect(packet.includes(Buffer.from("url-user"))).toBe(false);
      expect(packet.includes(Buffer.from("url-pass"))).toBe(true);
    } finally {
      client.end(true);
    }
  });

  /** In a fresh process: connect with `how`, then say whether the ws package was loaded. */
  function loadsWebSocket(how: "createMqttClient" | "mqtt.connect"): boolean {
    const clientModule = fileURLToPath(new URL("../../../src/bridge/mqtt/client.ts", import.meta.url));
    const script = `
      import { createServer } from "node:net";
      import { createRequire } from "node:module";
      import mqtt from "mqtt";
      import { createMqttClient } from ${JSON.stringify(clientModule)};
      const server = createServer((socket) => socket.once("data", () => {
        const loaded = Object.keys(createRequire(import.meta.url).cache).some((f) => f.includes("/node_modules/ws/"));
        process.stdout.write(JSON.stringify({ loaded }));
        process.exit(0);
      }));
      server.listen(0, "127.0.0.1", () => {
        const url = "mqtt://127.0.0.1:" + server.address().port;
        const options = { reconnectPeriod: 0 };
        ${how === "mqtt.connect" ? "mqtt.connect(url, options)" : "createMqttClient(new URL(url), options)"};
      });`;
    const out = execFileSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      cwd: fileURLToPath(new URL("../../..", import.meta.url)),
      encoding: "utf8",
      timeout: 30_000,
    });
    return (JSON.parse(out) as { loaded: boolean }).loaded;
  }

  it("loads no WebSocket code for an mqtt:// broker (mqtt.connect() does)", () => {
    expect(loadsWebSocket("createMqttClient")).toBe(false);
    expect(loadsWebSocket("mqtt.connect")).toBe(true);
  }, 60_000);
});
