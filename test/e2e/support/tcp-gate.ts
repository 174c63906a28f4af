/**
 * A TCP relay in front of a broker, opened and closed by the test. Closed, nothing listens on its port
 * (connection refused, exactly what a client sees of a stopped broker); open, each connection is piped to
 * the broker, and when either side ends the other is ended too.
 *
 * Why: aedes keeps no sessions across a restart, so a test subscriber has to subscribe again after each
 * restart before the bridge flushes what it queued; holding the bridge's side closed until then makes
 * that order certain instead of a race with the bridge's reconnect back-off.
 */
import { createConnection, createServer, type Server, type Socket } from "node:net";

export interface TcpGate {
  /** The port clients connect to (the same across open/close). */
  readonly port: number;
  open(): Promise<void>;
  /** Stops listening and drops every relayed connection. */
  close(): Promise<void>;
}

export async function startTcpGate(targetPort: number, host = "127.0.0.1"): Promise<TcpGate> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const relay = (client: Socket): void => {
    const upstream = createConnection({ host, port: targetPort });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.once("close", () => sockets.delete(socket));
      socket.on("error", () => undefined); // the other side's close ends both below
    }
    client.pipe(upstream).pipe(client);
    client.once("close", () => upstream.destroy());
    upstream.once("close", () => client.destroy());
  };
  const open = async (): Promise<void> => {
    if (server !== undefined) return;
    const next = createServer(relay);
    await new Promise<void>((resolve, reject) => {
      next.once("error", reject);
      next.listen(port, host, () => resolve());
    });
    const address = next.address();
    if (address !== null && typeof address === "object") port = address.port;
    server = next;
  };
  const close = async (): Promise<void> => {
    const current = server;
    server = undefined;
    if (current === undefined) return;
    const closed = new Promise<void>((resolve) => current.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    await closed;
  };
  await open();
  return {
    get port() {
      return port;
    },
    open,
    close,
  };
}
