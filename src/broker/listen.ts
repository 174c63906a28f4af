/**
 * Binding helpers for the embedded broker: loopback detection and turning bind failures into typed errors.
 */
import type { Server, Socket } from "node:net";
import { isIP } from "node:net";
import { BmsError } from "../errors.js";

/** Loopback = reachable from this machine only (127.0.0.0/8, ::1, localhost). */
export function isLoopbackHost(host: string): boolean {
  if (host === "localhost" || host === "::1") return true;
  return isIP(host) === 4 && host.startsWith("127.");
}

/** Error codes that mean "this address family/address does not exist here" (e.g. IPv6 disabled). */
const UNAVAILABLE_ADDRESS = new Set(["EADDRNOTAVAIL", "EAFNOSUPPORT"]);

export function isAddressUnavailable(error: unknown): boolean {
  return UNAVAILABLE_ADDRESS.has((error as NodeJS.ErrnoException).code ?? "");
}

/** A nearby free-looking port to suggest (1883 → 11883); nothing for an ephemeral bind. */
function suggestPort(port: number): string {
  if (port === 0) return "";
  return String(port <= 55_535 ? port + 10_000 : port - 10_000);
}

/** Listens on host:port; a busy port becomes PORT_IN_USE naming the port and what to do. */
export function listen(
  server: Server,
  host: string,
  port: number,
  what: string,
  flag: string,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      server.off("listening", onListening);
      if (error.code === "EADDRINUSE" || error.code === "EACCES") {
        const why =
          error.code === "EADDRINUSE" ? "is already in use (another broker running?)" : "needs privileges";
        reject(
          new BmsError(
            "PORT_IN_USE",
            `${what} port ${port} on ${host} ${why}: choose another with ${flag} ${suggestPort(port)}`.trim(),
            { host, port },
            { cause: error },
          ),
        );
        return;
      }
      reject(error);
    };
    const onListening = (): void => {
      server.off("error", onError);
      const address = server.address();
      resolve(typeof address === "object" && address ? address.port : port);
    };
    server.once("error", onError);
    server.once("listening", onListening);
    server.listen({ host, port, ipv6Only: host.includes(":") });
  });
}

const OPEN_SOCKETS = new WeakMap<Server, Set<Socket>>();

/** Remembers the server's sockets so closeServer() does not wait for idle clients to leave. */
export function trackSockets<T extends Server>(server: T): T {
  const sockets = new Set<Socket>();
  OPEN_SOCKETS.set(server, sockets);
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  return server;
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
    for (const socket of OPEN_SOCKETS.get(server) ?? []) socket.destroy();
  });
}

/** `mqtt://127.0.0.1:1883`, `ws://[::1]:8083` */
export function hostUrl(scheme: string, host: string, port: number): string {
  return `${scheme}://${host.includes(":") ? `[${host}]` : host}:${port}`;
}
