#!/usr/bin/env node
import { Command } from "commander";
import { runEmu } from "./emu-run.js";
import { runCli } from "./run-cli.js";
import { PACKAGE_VERSION } from "./version.js";

const collect = (value: string, previous: string[]): string[] => [...previous, value];

const program = new Command("bms-emu")
  .description("Emulates a JBD BMS (DP04S007L4S200A) over BLE, TCP or serial, with scenarios and faults")
  .version(PACKAGE_VERSION)
  .option("--list-scenarios", "list the bundled scenarios and exit")
  .option("--scenario <name>", "run a bundled scenario (see --list-scenarios)")
  .option("--scenario-file <path>", "run a scenario from a YAML file")
  .option(
    "--replay <file>",
    "serve a captured exchange verbatim: a bms-bridge --capture .jsonl (timing kept, one battery per captured address), a frame fixture JSON or a text log",
  )
  .option("--speed <n>", "simulated seconds per real second (default: the scenario's, else 1)")
  .option("--seed <n>", "seed for probabilistic faults (default 1)")
  .option("--count <n>", "number of independent batteries (TCP ports PORT…PORT+N−1)", "1")
  .option("--tcp <host:port>", "serve raw JBD bytes on TCP, like an RS485-to-Ethernet gateway (port 0 = any)")
  .option("--serial <path>", "serve on a serial device; repeat for battery 2, 3, …", collect, [])
  .option(
    "--hci <list>",
    "serve over BLE (bleno): native (hci0), native:N or uart:/path; one controller per battery, comma-separated",
  )
  .option(
    "--fault <spec>",
    "inject a fault, e.g. drop:0.1, split:7, delay:800,every=3 (repeatable)",
    collect,
    [],
  )
  .option(
    "--mac <list>",
    "the batteries' MACs, comma-separated, battery 1 first (default: over BLE the controller's own address, else a random A5:C2:37:E0:xx:xx per process)",
  )
  .option(
    "--console [host:port]",
    "serve the live web console and its API (default 127.0.0.1:8090; a non-loopback address needs the printed token)",
  )
  .option("--quiet", "no live status line")
  .action(async (flags) => {
    await runEmu(flags, {
      stdout: process.stdout,
      isTty: process.stdout.isTTY === true,
      waitForStop: () =>
        new Promise<void>((resolve) => {
          process.once("SIGINT", () => resolve());
          process.once("SIGTERM", () => resolve());
        }),
    });
  });

await runCli(program, process.argv);
