/** The console for a running emulator (bms-emu --console, bms-bridge demo): the core plus its HTTP server. */
import type { Clock } from "../../util/clock.js";
import type { RunningEmulator } from "../app.js";
import { EmulatorConsole } from "./console.js";
import { type RunningConsoleServer, startConsoleServer } from "./server.js";

export { DEFAULT_CONSOLE } from "./defaults.js";

export interface RunningConsole {
  console: EmulatorConsole;
  server: RunningConsoleServer;
  close(): Promise<void>;
}

/** The console's core over a running emulator (also what the demo's MQTT control drives). */
export function consoleFor(emulator: RunningEmulator, clock: Clock): EmulatorConsole {
  return new EmulatorConsole(
    {
      batteries: emulator.batteries,
      endpoints: emulator.served.endpoints,
      setupFor: emulator.setupFor,
      scenarioNames: emulator.scenarioNames,
    },
    { clock },
  );
}

export async function startEmulatorConsole(
  emulator: RunningEmulator,
  options: { host: string; port: number; clock: Clock; token?: string },
  core: EmulatorConsole = consoleFor(emulator, options.clock),
): Promise<RunningConsole> {
  const server = await startConsoleServer(core, {
    host: options.host,
    port: options.port,
    ...(options.token !== undefined && { token: options.token }),
  });
  core.start();
  return {
    console: core,
    server,
    close: async () => {
      core.stop();
      await server.close();
    },
  };
}
