/**
 * HCI over UART (H4) framing, as far as the lab's relay needs it: split a byte stream into whole packets
 * (command 0x01, ACL 0x02, event 0x04), and read the few fields the fault and radio models act on.
 * Pure: no I/O, no clock.
 */

export const H4_COMMAND = 0x01;
export const H4_ACL = 0x02;
export const H4_EVENT = 0x04;

/** HCI_Reset (OGF 0x03, OCF 0x0003), as a whole H4 packet. */
export const HCI_RESET_PACKET = Uint8Array.of(H4_COMMAND, 0x03, 0x0c, 0x00);
const OPCODE_RESET = 0x0c03;
const OPCODE_DISCONNECT = 0x0406;
const EVENT_DISCONNECTION_COMPLETE = 0x05;
const EVENT_LE_META = 0x3e;
const LE_CONNECTION_COMPLETE = 0x01;
const LE_ADVERTISING_REPORT = 0x02;
const LE_ENHANCED_CONNECTION_COMPLETE = 0x0a;

/** Header length after the type byte, and where the payload length sits in it. */
const HEADERS: Record<number, { header: number; length: (p: Uint8Array) => number }> = {
  [H4_COMMAND]: { header: 3, length: (p) => p[3] as number },
  [H4_ACL]: { header: 4, length: (p) => (p[3] as number) | ((p[4] as number) << 8) },
  [H4_EVENT]: { header: 2, length: (p) => p[2] as number },
};

/**
 * Reassembles H4 packets from chunks of any size. A byte that starts no known packet type is passed on
 * alone (the relay forwards what it does not understand rather than wedging the stream).
 */
export class H4Splitter {
  #pending: Uint8Array = new Uint8Array(0);

  push(chunk: Uint8Array): Uint8Array[] {
    const data = this.#pending.length === 0 ? chunk : concat(this.#pending, chunk);
    const packets: Uint8Array[] = [];
    let offset = 0;
    while (offset < data.length) {
      const shape = HEADERS[data[offset] as number];
      if (!shape) {
        packets.push(data.subarray(offset, offset + 1));
        offset += 1;
        continue;
      }
      const rest = data.subarray(offset);
      if (rest.length < 1 + shape.header) break;
      const total = 1 + shape.header + shape.length(rest);
      if (rest.length < total) break;
      packets.push(rest.subarray(0, total));
      offset += total;
    }
    this.#pending = data.slice(offset);
    return packets;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

export function isAcl(packet: Uint8Array): boolean {
  return packet[0] === H4_ACL && packet.length >= 5;
}

export function isResetCommand(packet: Uint8Array): boolean {
  return packet[0] === H4_COMMAND && packet.length >= 4 && opcodeOf(packet) === OPCODE_RESET;
}

function opcodeOf(command: Uint8Array): number {
  return (command[1] as number) | ((command[2] as number) << 8);
}

function leSubevent(packet: Uint8Array): number | undefined {
  if (packet[0] !== H4_EVENT || packet[1] !== EVENT_LE_META || packet.length < 4) return undefined;
  return packet[3];
}

/** LE (Enhanced) Connection Complete with success: the new connection handle; otherwise undefined. */
export function connectionCompleteHandle(packet: Uint8Array): number | undefined {
  const sub = leSubevent(packet);
  if (sub !== LE_CONNECTION_COMPLETE && sub !== LE_ENHANCED_CONNECTION_COMPLETE) return undefined;
  if (packet.length < 7 || packet[4] !== 0x00) return undefined;
  return ((packet[5] as number) | ((packet[6] as number) << 8)) & 0x0fff;
}

export function isConnectionComplete(packet: Uint8Array): boolean {
  const sub = leSubevent(packet);
  return sub === LE_CONNECTION_COMPLETE || sub === LE_ENHANCED_CONNECTION_COMPLETE;
}

/** Disconnection Complete: the handle that went away; otherwise undefined. */
export function disconnectionCompleteHandle(packet: Uint8Array): number | undefined {
  if (packet[0] !== H4_EVENT || packet[1] !== EVENT_DISCONNECTION_COMPLETE || packet.length < 6) {
    return undefined;
  }
  return ((packet[4] as number) | ((packet[5] as number) << 8)) & 0x0fff;
}

export function isAdvertisingReport(packet: Uint8Array): boolean {
  return leSubevent(packet) === LE_ADVERTISING_REPORT;
}

/**
 * A copy of a single-report LE Advertising Report with its RSSI (the report's last byte) replaced.
 * Reports carrying several devices are returned unchanged (btvirt sends one per event).
 */
export function withAdvertisingRssi(packet: Uint8Array, rssiDbm: number): Uint8Array {
  if (!isAdvertisingReport(packet) || packet[4] !== 1) return packet;
  const copy = Uint8Array.from(packet);
  copy[copy.length - 1] = rssiDbm & 0xff;
  return copy;
}

/** HCI_Disconnect for `handle` with `reason`, as a whole H4 packet. */
export function disconnectCommand(handle: number, reason: number): Uint8Array {
  return Uint8Array.of(
    H4_COMMAND,
    OPCODE_DISCONNECT & 0xff,
    OPCODE_DISCONNECT >> 8,
    0x03,
    handle & 0xff,
    (handle >> 8) & 0x0f,
    reason,
  );
}
