/**
 * Connects the bridge side to an in-process emulated battery through the shared MemoryLink fake:
 * link writes go to the battery port; the battery's chunks come back as link data and a disconnect
 * request drops the link. Delivery back to the bridge is deferred to a microtask so a client never sees
 * a response re-entrantly inside its own `write()` (a real transport never does that either).
 */
import { MemoryLink } from "../transport/memory.js";
import type { EmulatedBattery } from "./battery.js";

export interface LinkToBatteryOptions {
  /** The link's address (default: the battery's address, e.g. `A5:C2:37:00:00:01`). */
  address?: string;
}

export function linkToBattery(battery: EmulatedBattery, options: LinkToBatteryOptions = {}): MemoryLink {
  const port = battery.connect();
  const link = new MemoryLink(options.address ?? battery.address, {
    onWrite: (bytes) => port.receive(Uint8Array.from(bytes)),
    onLocalClose: () => port.close(),
  });
  port.onSend((chunk) => queueMicrotask(() => link.emitData(chunk)));
  port.onDisconnectRequest(() => queueMicrotask(() => link.drop()));
  return link;
}
