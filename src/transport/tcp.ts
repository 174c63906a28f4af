/**
 * TCP link to an RS485-to-Ethernet gateway (`tcp:host:port`) that passes raw JBD bytes through
 * (docs/protocol.md §1: the same DD…77 frames as on the UART).
 */
import { connect, type Socket } from "node:net";
import { BmsError } from "../errors.js";
import { type Clock, systemClock } from "../util/clock.js";
import { formatAddress } from "./address.js";
import { StreamLink } from "./stream-link.js";
import type { Link, OpenOptions } from "./types.js";

export interface TcpTarget {
  host: string;
  port: number;
}

/** Why a connect failed, in words a user can act on (errno → hint). */
const CONNECT_HINTS: Record<string, string> = {
  ECONNREFUSED: "connection refused (is the gateway on and is the port right?)",
  EHOSTUNREACH: "host unreachable (check the IP address and the network)",
  ENETUNREACH: "network unreachable (check the IP address and the network)",
  ENOTFOUND: "host name not found",
  EAI_AGAIN: "host name lookup failed (DNS unavailable?)",
  ECONNRESET: "connection reset by the gateway",
  ETIMEDOUT: "connection timed out",
};

/** Keep-alive probes notice a gateway that vanished without a FIN (power cut, cable pulled). */
const KEEPALIVE_MS = 10_000;

export async function openTcpLink(
  target: TcpTarget,
  options: OpenOptions,
  clock: Clock = systemClock,
): Promise<Link> {
  const address = formatAddress({ kind: "tcp", ...target });
  const socket = await connectSocket(address, target, options, clock);
  socket.setNoDelay(true);
  socket.setKeepAlive(true, KEEPALIVE_MS);
  const link = new StreamLink(address, {
    write: (bytes) =>
      new Promise<void>((resolve, reject) =>
        socket.write(bytes, (error) => (error ? reject(error) : resolve())),
      ),
    close: () =>
      new Promise<void>((resolve) => {
        if (socket.destroyed) return resolve();
        socket.once("close", () => resolve());
        socket.destroy();
      }),
  });
  let lastError: Error | undefined;
  socket.on("data", (chunk: Buffer) => link.deliver(new Uint8Array(chunk)));
  socket.on("error", (error) => {
    lastError = error;
  });
  socket.on("close", () => {
    const why = lastError ? describe(lastError) : "the gateway closed the connection";
    link.ended(new BmsError("DISCONNECTED", `${address}: ${why}`, { address, errno: errnoOf(lastError) }));
  });
  return link;
}

function connectSocket(
  address: string,
  target: TcpTarget,
  options: OpenOptions,
  clock: Clock,
): Promise<Socket> {
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) {
      reject(new BmsError("CANCELED", `${address}: connect canceled`, { address }));
      return;
    }
    const socket = connect({ host: target.host, port: target.port });
    const fail = (error: BmsError): void => {
      cleanup();
      socket.destroy();
      reject(error);
    };
    const onError = (error: Error): void =>
      fail(
        new BmsError(
          "CONNECT_FAILED",
          `${address}: ${describe(error)}`,
          { address, errno: errnoOf(error) },
          { cause: error },
        ),
      );
    const onAbort = (): void => fail(new BmsError("CANCELED", `${address}: connect canceled`, { address }));
    const timer = clock.setTimeout(
      () =>
        fail(
          new BmsError("TIMEOUT", `${address}: no connection within ${options.timeoutMs / 1000} s`, {
            address,
          }),
        ),
      options.timeoutMs,
    );
    const cleanup = (): void => {
      clock.clearTimeout(timer);
      socket.off("error", onError);
      options.signal?.removeEventListener("abort", onAbort);
    };
    socket.once("error", onError);
    socket.once("connect", () => {
      cleanup();
      resolve(socket);
    });
    options.signal?.addEventListener("abort", onAbort, { once: true });
  });
}

function errnoOf(error: Error | undefined): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

function describe(error: Error): string {
  const code = errnoOf(error);
  return (code && CONNECT_HINTS[code]) || error.message;
}
