/**
 * A Link decorator that records every chunk written and received (capture → replay). Recording happens
 * before the bytes move on (tx before the write, rx before any listener), so the order in the capture is
 * the order on the wire. The decorator changes nothing else: same address, same errors, same chunks.
 */
import type { BatteryLinkOpener } from "../open-link.js";
import type { CloseListener, DataListener, Link } from "../types.js";
import type { CaptureDirection } from "./format.js";

/** Where captured chunks go (capture-file.ts writes them as JSON lines). */
export interface CaptureRecorder {
  chunk(dir: CaptureDirection, address: string, bytes: Uint8Array): void;
  event(event: "open" | "close", address: string, reason?: string): void;
}

export function captureLink(inner: Link, recorder: CaptureRecorder): Link {
  const address = inner.address;
  // Subscribed first, so each chunk is recorded before the client sees it.
  const offData = inner.onData((chunk) => recorder.chunk("rx", address, chunk));
  inner.onClose((error) => {
    offData();
    recorder.event("close", address, error?.message);
  });
  return {
    address,
    get isOpen() {
      return inner.isOpen;
    },
    async write(bytes: Uint8Array): Promise<void> {
      recorder.chunk("tx", address, bytes);
      await inner.write(bytes);
    },
    onData: (listener: DataListener) => inner.onData(listener),
    onClose: (listener: CloseListener) => inner.onClose(listener),
    close: () => inner.close(),
  };
}

/** Every link the opener opens is captured. */
export function captureBatteryLinkOpener(
  opener: BatteryLinkOpener,
  recorder: CaptureRecorder,
): BatteryLinkOpener {
  return {
    open: async (battery, options) => {
      const link = await opener.open(battery, options);
      recorder.event("open", link.address);
      return captureLink(link, recorder);
    },
    close: () => opener.close(),
    adapterHealth: () => opener.adapterHealth(),
  };
}
