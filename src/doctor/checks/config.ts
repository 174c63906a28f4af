/** The configuration `run` would use, loaded by the same loader, with every problem listed. */
import type { Check } from "../types.js";

export const configCheck: Check = {
  id: "config",
  title: "configuration",
  run: async ({ config }) => {
    if (!config.ok) {
      return {
        id: "config",
        status: "fail",
        summary: `${config.problems.length} problem(s) in the settings \`run\` would use`,
        details: config.problems,
        fix: "fix each setting named above (docs/cli-bridge.md#configuration-reference), or run bms-bridge setup",
      };
    }
    const { batteries, mqtt } = config.config;
    const addresses = batteries.map((battery) => battery.address).join(", ");
    return {
      id: "config",
      status: "pass",
      summary: `${batteries.length} battery(ies) (${addresses}), broker ${mqtt.url}`,
    };
  },
};
