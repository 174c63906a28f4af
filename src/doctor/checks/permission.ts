/**
 * noble opens a raw HCI socket: that needs root or CAP_NET_RAW + CAP_NET_ADMIN (the `bluetooth` group is
 * not enough). The service gets both from AmbientCapabilities= in its unit; a shell usually has neither.
 */
import { bleTargets, blockedBy, notApplicable } from "../ble-targets.js";
import type { Check } from "../types.js";

const ID = "permission";
const CAP_NET_ADMIN = 12n;
const CAP_NET_RAW = 13n;

export function hasCapability(mask: bigint, capability: bigint): boolean {
  return ((mask >> capability) & 1n) === 1n;
}

export const permissionCheck: Check = {
  id: ID,
  title: "HCI permission",
  run: async (input) => {
    const native = bleTargets(input).filter((target) => target.hci.driver === "native");
    if (native.length === 0) return notApplicable(ID);
    const blocked = blockedBy(ID, input, "adapter");
    if (blocked) return blocked;
    const { system } = input;
    if (system.isRoot()) return { id: ID, status: "pass", summary: "running as root" };
    const mask = await system.effectiveCapabilities();
    if (mask !== undefined && hasCapability(mask, CAP_NET_RAW) && hasCapability(mask, CAP_NET_ADMIN))
      return { id: ID, status: "pass", summary: "CAP_NET_RAW and CAP_NET_ADMIN granted" };
    return {
      id: ID,
      status: "fail",
      summary: "neither root nor CAP_NET_RAW + CAP_NET_ADMIN: this process cannot open the HCI socket",
      fix: "run sudo bms-bridge doctor (the service gets both capabilities from AmbientCapabilities= in its unit)",
    };
  },
};
