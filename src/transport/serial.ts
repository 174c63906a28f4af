/**
 * Serial link (`serial:/dev/ttyUSB0[@baud]`) to a JBD UART/RS485 port: 9600 8N1 by default
 * (docs/protocol.md §1). `serialport` is an optional dependency, imported only here and only when used.
 */
import { BmsError } from "../errors.js";
import { formatAddress } from "./address.js";
import { StreamLink } from "./stream-link.js";
import type { Link, OpenOptions } from "./types.js";

export interface SerialTarget {
  path: string;
  baudRate: number;
}

/** Open errors (serialport messages carry no errno property on every platform) → what to do about them. */
const OPEN_HINTS: Array<[RegExp, string, "DEVICE_NOT_FOUND" | "CONNECT_FAILED"]> = [
  [
    /no such file|ENOENT|cannot find/i,
    "no such device (is the adapter plugged in? see ls /dev/ttyUSB* /dev/serial/by-id)",
    "DEVICE_NOT_FOUND",
  ],
  [
    /permission denied|EACCES/i,
    "permission denied (add the user to the dialout group: sudo usermod -aG dialout $USER)",
    "CONNECT_FAILED",
  ],
  [/busy|EBUSY|lock/i, "the port is in use by another program", "CONNECT_FAILED"],
];

type SerialPortModule = typeof import("serialport");

async function loadSerialPort(address: string): Promise<SerialPortModule> {
  try {
    return await import("serialport");
  } catch (error) {
    throw new BmsError(
      "ADAPTER_UNAVAILABLE",
      `${address}: the optional "serialport" package is not installed (npm install serialport)`,
      { address },
      { cause: error },
    );
  }
}

export async function openSerialLink(target: SerialTarget, options: OpenOptions): Promise<Link> {
  const address = formatAddress({ kind: "serial", ...target });
  if (options.signal?.aborted) throw new BmsError("CANCELED", `${address}: open canceled`, { address });
  const { SerialPort } = await loadSerialPort(address);
  const port = new SerialPort({
    path: target.path,
    baudRate: target.baudRate,
    dataBits: 8,
    parity: "none",
    stopBits: 1,
    autoOpen: false,
  });
  await new Promise<void>((resolve, reject) =>
    port.open((error) => (error ? reject(openError(address, error)) : resolve())),
  );
  const link = new StreamLink(address, {
    write: (bytes) =>
      new Promise<void>((resolve, reject) =>
        port.write(Buffer.from(bytes), (error) =>
          error ? reject(error) : port.drain((drainError) => (drainError ? reject(drainError) : resolve())),
        ),
      ),
    close: () =>
      new Promise<void>((resolve) => {
        if (!port.isOpen) return resolve();
        port.close(() => resolve());
      }),
  });
  port.on("data", (chunk: Buffer) => link.deliver(new Uint8Array(chunk)));
  port.on("close", (error?: Error | null) => {
    const why = error ? error.message : "the port was closed";
    link.ended(new BmsError("DISCONNECTED", `${address}: ${why}`, { address }));
  });
  port.on("error", () => {
    // 'close' follows with the reason; the listener keeps the error from being thrown unhandled
  });
  return link;
}

function openError(address: string, error: Error): BmsError {
  const hint = OPEN_HINTS.find(([pattern]) => pattern.test(error.message));
  const [, why, code] = hint ?? [undefined, error.message, "CONNECT_FAILED" as const];
  return new BmsError(code, `${address}: ${why}`, { address, detail: error.message }, { cause: error });
}
