/** Node.js is new enough for the package (package.json engines: >= 20.19). */
import type { Check } from "../types.js";

export const MIN_NODE: readonly [number, number] = [20, 19];

export function nodeSatisfies(version: string, min: readonly [number, number] = MIN_NODE): boolean {
  const [major = 0, minor = 0] = version.replace(/^v/, "").split(".").map(Number);
  return major > min[0] || (major === min[0] && minor >= min[1]);
}

export const nodeCheck: Check = {
  id: "node",
  title: "Node.js",
  run: async ({ system }) => {
    const needed = `${MIN_NODE[0]}.${MIN_NODE[1]}`;
    if (nodeSatisfies(system.nodeVersion))
      return { id: "node", status: "pass", summary: `${system.nodeVersion} (needs ≥ ${needed})` };
    return {
      id: "node",
      status: "fail",
      summary: `${system.nodeVersion} is too old (needs ≥ ${needed})`,
      fix: "install Node.js ≥ 20.19 (docs/install-pi.md, step 2), then reinstall bms-bridge",
    };
  },
};
