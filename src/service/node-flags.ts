/**
 * The V8 settings the bridge runs with, wherever we start node ourselves: the `bms-bridge` command's own
 * first line (`#!/usr/bin/env -S node …`), the systemd unit and the Windows task `bms-bridge service`
 * writes. Users never type them.
 *
 * `--max-semi-space-size=1` (MB): V8 grows the young generation (where short-lived objects live) up to
 * 16 MB per semi-space, twice over, once enough objects have survived; it never gives the pages back. The
 * bridge's young objects live for one poll at most, so a 1 MB semi-space costs a few more sub-millisecond
 * scavenges and saves 15–25 MB of resident memory on a Pi Zero 2W (docs/performance.md, "Memory").
 * `--v8-pool-size=1`: one V8 background thread (Node's default is 4) for concurrent garbage collection and
 * compilation; each thread keeps its own stack and allocator arena resident: 2–5 MB less at 8 batteries.
 * `--optimize-for-size` is deliberately NOT set: it kept 8 batteries 1–2 MB lower but doubled the CPU at
 * 256 batteries (64–67 % of a core against 23–32 %), since it also trades compiled-code speed for size.
 * `--expose-gc`: gives `bms-bridge run` V8's `gc()`, with which src/service/gc-pacer.ts collects the old
 * generation in steps of 2–3 MB instead of V8's 8 MB at 8 batteries — the part of `--optimize-for-size`
 * the bridge wants, without its cost.
 * A cap on the old generation is deliberately NOT set: it would turn a slow leak into a crash.
 */
export const BRIDGE_NODE_FLAGS: readonly string[] = [
  "--max-semi-space-size=1",
  "--v8-pool-size=1",
  "--expose-gc",
];
