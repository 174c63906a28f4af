/**
 * A loopback TCP proxy for network-fault tests: put it between a client and a broker, then `cut()` every
 * connection without a goodbye (the broker sees a dead client and sends its last will) and optionally
 * refuse new ones, as when a cable is pulled.
 */
import { createServer, type Socket, connect as tcpConnect } from "node:net";

export interface TcpProxy {
  port: number;
  /** Destroys every open connection (both sides). */
  cut(): void;
  /** Refuse (reset) new connections until resume(). */
  pause(): void;
  resume(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host?: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let paused = false;
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  };
  const server = createServer((client) => {
    if (paused) {
      client.destroy();
      return;
    }
    const upstream = tcpConnect({ host: target.host ?? "127.0.0.1", port: target.port });
    track(client);
    track(upstream);
    client.pipe(upstream).pipe(client);
    const destroyBoth = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", destroyBoth);
    upstream.on("error", destroyBoth);
    client.on("close", destroyBoth);
    upstream.on("close", destroyBoth);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  const cut = (): void => {
    for (const socket of sockets) socket.destroy();
  };
  return {
    port,
    cut,
    pause: () => {
      paused = true;
    },
    resume: () => {
      paused = false;
    },
    close: async () => {
      cut();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
