/**
 * Serves one emulated battery as raw JBD bytes over TCP, like an RS485-to-Ethernet gateway in transparent
 * mode: replies arrive when the 9600-baud line behind the gateway has carried them (behaviors/media.ts). One client at a time, like the real bus: a second client is REFUSED (accepted and closed at once
 * without a byte), never queued, so a client can tell immediately that someone else is connected.
 */
import { createServer, type Server, type Socket } from "node:net";
import { BmsError } from "../errors.js";
import type { EmulatedBattery } from "./battery.js";
import type { WirePacing } from "./behaviors/media.js";

export interface TcpServeOptions {
  host: string;
  /** 0 = any free port (see `port` on the result). */
  port: number;
  /** The RS485 line behind the gateway (default 9600 baud, whole replies; `{ msPerByte: 0 }` = no pacing). */
  pacing?: WirePacing;
}

export interface RunningTcpServer {
  host: string;
  port: number;
  /** Whether a client is connected now. */
  readonly connected: boolean;
  /** Clients refused because one was already connected. */
  readonly refused: number;
  close(): Promise<void>;
}

function listen(server: Server, options: TcpServeOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      const where = `${options.host}:${options.port}`;
      const code = error.code === "EADDRINUSE" ? "PORT_IN_USE" : "IO";
      const why = error.code === "EADDRINUSE" ? "is already in use" : `cannot be opened (${error.message})`;
      reject(new BmsError(code, `TCP ${where} ${why}`, { host: options.host, port: options.port }));
    };
    server.once("error", onError);
    server.listen(options.port, options.host, () => {
      server.off("error", onError);
      resolve();
    });
  });
}

export async function serveTcp(
  battery: EmulatedBattery,
  options: TcpServeOptions,
): Promise<RunningTcpServer> {
  let client: Socket | undefined;
  let refused = 0;
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {}); // a client reset is not our failure; "close" follows
    if (client || battery.isConnected) {
      refused += 1;
      socket.destroy();
      return;
    }
    client = socket;
    socket.setNoDelay(true);
    const port = battery.connect(
      options.pacing ? { medium: "wire", pacing: options.pacing } : { medium: "wire" },
    );
    port.onSend((chunk) => {
      if (!socket.destroyed) socket.write(chunk);
    });
    port.onDisconnectRequest(() => socket.destroy());
    socket.on("data", (data: Buffer) => port.receive(new Uint8Array(data)));
    socket.on("close", () => {
      port.close();
      if (client === socket) client = undefined;
    });
  });
  await listen(server, options);
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : options.port;
  return {
    host: options.host,
    port,
    get connected() {
      return client !== undefined;
    },
    get refused() {
      return refused;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
