import { createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { isBmsError } from "../../src/errors.js";
import { openTcpLink } from "../../src/transport/tcp.js";
import type { Link } from "../../src/transport/types.js";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function listen(onSocket: (socket: Socket) => void): Promise<{ server: Server; port: number }> {
  const server = createServer(onSocket);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const address = server.address();
  if (typeof address !== "object" || address === null) throw new Error("no port");
  return { server, port: address.port };
}

function nextChunk(link: Link): Promise<Uint8Array> {
  return new Promise((resolve) => {
    const off = link.onData((chunk) => {
      off();
      resolve(chunk);
    });
  });
}

describe("openTcpLink", () => {
  it("passes bytes both ways and reports the canonical address", async () => {
    const { port } = await listen((socket) =>
      socket.on("data", (data) => socket.write(Buffer.concat([Buffer.from([0xdd]), data]))),
    );
    const link = await openTcpLink({ host: "127.0.0.1", port }, { timeoutMs: 5000 });
    cleanups.push(() => link.close());
    expect(link.address).toBe(`tcp:127.0.0.1:${port}`);
    expect(link.isOpen).toBe(true);
    const reply = nextChunk(link);
    await link.write(Uint8Array.from([0xa5, 0x03]));
    expect([...(await reply)]).toEqual([0xdd, 0xa5, 0x03]);
  });

  it("fails with CONNECT_FAILED and a hint when the port refuses", async () => {
    const { server, port } = await listen(() => {});
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const error = await openTcpLink({ host: "127.0.0.1", port }, { timeoutMs: 5000 }).catch(
      (e: unknown) => e,
    );
    expect(isBmsError(error, "CONNECT_FAILED")).toBe(true);
    expect((error as Error).message).toBe(
      `tcp:127.0.0.1:${port}: connection refused (is the gateway on and is the port right?)`,
    );
  });

  it("fails with CANCELED when the signal is already aborted", async () => {
    const { port } = await listen(() => {});
    const error = await openTcpLink(
      { host: "127.0.0.1", port },
      { timeoutMs: 5000, signal: AbortSignal.abort() },
    ).catch((e: unknown) => e);
    expect(isBmsError(error, "CANCELED")).toBe(true);
  });

  it("reports DISCONNECTED to close listeners when the gateway hangs up, and refuses writes after", async () => {
    let serverSide: Socket | undefined;
    const { port } = await listen((socket) => {
      serverSide = socket;
    });
    const link = await openTcpLink({ host: "127.0.0.1", port }, { timeoutMs: 5000 });
    const closed = new Promise<unknown>((resolve) => link.onClose(resolve));
    while (!serverSide) await new Promise((r) => setImmediate(r));
    serverSide.destroy();
    const error = await closed;
    expect(isBmsError(error, "DISCONNECTED")).toBe(true);
    expect(link.isOpen).toBe(false);
    await expect(link.write(Uint8Array.of(1))).rejects.toMatchObject({ code: "NOT_OPEN" });
  });

  it("calls close listeners without an error when we close, and close is idempotent", async () => {
    const { port } = await listen(() => {});
    const link = await openTcpLink({ host: "127.0.0.1", port }, { timeoutMs: 5000 });
    const reasons: unknown[] = [];
    link.onClose((reason) => reasons.push(reason));
    await link.close();
    await link.close();
    expect(reasons).toEqual([undefined]);
  });
});
