/** The systemd unit is installed, points at an existing program, is enabled and running; its recent log. */
import { SERVICE_NAME } from "../../service/systemd-units.js";
import type { Check, CheckResult, ServiceFacts } from "../types.js";

const ID = "service";

/** The program of `ExecStart=` (the unit pins absolute paths; an update of Node can move them). */
export function execStartProgram(unitText: string): string | undefined {
  return /^ExecStart=(?:[@\-:+!]*)("?)([^\s"]+)\1/m.exec(unitText)?.[2];
}

function withLog(result: CheckResult, facts: ServiceFacts): CheckResult {
  const details = facts.recentLog.length > 0 ? facts.recentLog : ["(no log lines)"];
  return { ...result, details, facts: { installed: true, enabled: facts.enabled, active: facts.active } };
}

export const serviceCheck: Check = {
  id: ID,
  title: "systemd service",
  run: async ({ system, options }) => {
    if (!options.service)
      return { id: ID, status: "skip", summary: "skipped (--no-service: the bridge runs another way)" };
    const facts = await system.service();
    if (!facts.running)
      return {
        id: ID,
        status: "skip",
        summary: "not applicable: systemd is not running here (a container?)",
      };
    if (facts.unitText === undefined) {
      return {
        id: ID,
        status: "fail",
        summary: `not installed (no ${facts.unitPath})`,
        fix: 'sudo bms-bridge service install --user "$USER" --config "$PWD/bms-bridge.yaml" --enable',
        facts: { installed: false },
      };
    }
    const program = execStartProgram(facts.unitText);
    if (program === undefined || !(await system.fileExists(program))) {
      return withLog(
        {
          id: ID,
          status: "fail",
          summary: `ExecStart= runs ${program ?? "nothing"}, which does not exist (Node.js moved or was removed?)`,
          fix: "write the unit again from the current install: sudo bms-bridge service install … --enable",
        },
        facts,
      );
    }
    const execStart = /^ExecStart=(.*)$/m.exec(facts.unitText)?.[1] ?? "";
    if (!/bms-bridge/.test(execStart)) {
      return withLog(
        {
          id: ID,
          status: "fail",
          summary: `${facts.unitPath} runs something else: ${execStart} (the original Python bridge?)`,
          fix: "replace it: docs/upgrade-from-python.md, step 3",
        },
        facts,
      );
    }
    if (facts.enabled !== "enabled") {
      return withLog(
        {
          id: ID,
          status: "fail",
          summary: `installed but ${facts.enabled}: it will not start at boot`,
          fix: `sudo systemctl enable --now ${SERVICE_NAME}`,
        },
        facts,
      );
    }
    if (facts.active !== "active") {
      return withLog(
        {
          id: ID,
          status: "fail",
          summary: `enabled but ${facts.active}`,
          fix: `journalctl -u ${SERVICE_NAME} -n 50 shows why; then sudo systemctl restart ${SERVICE_NAME}`,
        },
        facts,
      );
    }
    return withLog({ id: ID, status: "pass", summary: "installed, enabled and active" }, facts);
  },
};
