/**
 * The V8 settings the bridge runs with, wherever we start node ourselves: the `bms-bridge` command's own
 * first line (`#!/usr/bin/env -S node …`), the systemd unit and the Windows task `bms-bridge service`
 * writes. Users never type them.
 *
 * `--max-semi-space-size=1` (MB): V8 grows the young generation (where short-lived objects live) up to
 * 16 MB per semi-space, twice over, once enough objects have survived; it never gives the pages back. The
 * bridge's young objects live for one poll at most, so a 1 MB semi-space costs a few more sub-millisecond
 * scavenges and saves 15–25 MB of resident memory on a Pi Zero 2W (docs/performance.md, "Memory").
 * `--optimize-for-size`: V8 grows the old generation less eagerly and collects it sooner. Without it, the
 * objects that outlive a poll or two (readings, publishes awaiting their acknowledgement) pile up for
 * minutes before the first full collection: 97 MB after 90 s at 8 batteries, against 72–82 MB with it.
 * It costs CPU (about a third more at 64 batteries in the same runs), which a Pi has more of than memory.
 * A cap on the old generation is deliberately NOT set: it would turn a slow leak into a crash.
 */
export const BRIDGE_NODE_FLAGS: readonly string[] = ["--max-semi-space-size=1", "--optimize-for-size"];
