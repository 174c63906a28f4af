/**
 * Serves one emulated battery on a serial device (a USB-RS485 adapter wired to the bridge, or one end of a
 * socat pty pair). `serialport` is an optional dependency, imported here only when used.
 */
import { BmsError } from "../errors.js";
import type { EmulatedBattery } from "./battery.js";
import { type WirePacing, wirePacingForBaud } from "./behaviors/media.js";

export interface SerialServeOptions {
  path: string;
  /** JBD UART default 9600 8N1 (docs/protocol.md §1). */
  baudRate?: number;
  /** Default: byte by byte at the baud rate, as a UART sends (a pty pair has no line of its own). */
  pacing?: WirePacing;
}

export interface RunningSerialPort {
  path: string;
  close(): Promise<void>;
}

export async function serveSerial(
  battery: EmulatedBattery,
  options: SerialServeOptions,
): Promise<RunningSerialPort> {
  let SerialPort: typeof import("serialport").SerialPort;
  try {
    ({ SerialPort } = await import("serialport"));
  } catch (error) {
    throw new BmsError(
      "ADAPTER_UNAVAILABLE",
      'the optional "serialport" package is not installed',
      {},
      { cause: error },
    );
  }
  const baudRate = options.baudRate ?? 9600;
  const pacing = options.pacing ?? wirePacingForBaud(baudRate, 1);
  const serial = new SerialPort({ path: options.path, baudRate, autoOpen: false });
  await new Promise<void>((resolve, reject) =>
    serial.open((error) =>
      error
        ? reject(
            new BmsError("DEVICE_NOT_FOUND", `serial ${options.path}: ${error.message}`, {
              path: options.path,
            }),
          )
        : resolve(),
    ),
  );
  // A serial line has no connection: the battery is attached for as long as the device is open. A
  // disconnect fault or reboot just re-attaches (the BMS goes quiet mid-frame, then answers again).
  let closing = false;
  const attach = () => {
    const next = battery.connect({ medium: "wire", pacing });
    next.onSend((chunk) => serial.write(Buffer.from(chunk)));
    next.onDisconnectRequest(() => {
      if (!closing) port = attach();
    });
    return next;
  };
  let port = attach();
  serial.on("data", (data: Buffer) => port.receive(new Uint8Array(data)));
  serial.on("error", () => {});
  return {
    path: options.path,
    close: () =>
      new Promise<void>((resolve) => {
        closing = true;
        port.close();
        if (!serial.isOpen) return resolve();
        serial.close(() => resolve());
      }),
  };
}
