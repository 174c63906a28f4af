import { describe, expect, it } from "vitest";
import { parseBroker, parseSelection } from "../../../src/cli/setup/setup-choices.js";

describe("setup answers", () => {
  it("reads battery selections", () => {
    expect(parseSelection("", 3)).toEqual({ ok: true, indices: [0] });
    expect(parseSelection("all", 3)).toEqual({ ok: true, indices: [0, 1, 2] });
    expect(parseSelection("1,3", 3)).toEqual({ ok: true, indices: [0, 2] });
    expect(parseSelection(" 3 1 3 ", 3)).toEqual({ ok: true, indices: [2, 0] });
    expect(parseSelection("0", 3)).toEqual({ ok: false, problem: "0 is not in the list (1-3)" });
    expect(parseSelection("a5:c2:37:3c:76:d2", 3)).toEqual({ ok: true, address: "a5:c2:37:3c:76:d2" });
    expect(parseSelection("serial:/dev/ttyUSB0", 0)).toEqual({ ok: true, address: "serial:/dev/ttyUSB0" });
    expect(parseSelection("kitchen", 2).ok).toBe(false);
  });

  it("reads broker answers: host, host:port, [v6]:port, URL; default localhost:1883", () => {
    expect(parseBroker("")).toEqual({
      ok: true,
      broker: "localhost",
      port: 1883,
      url: "mqtt://localhost:1883",
    });
    expect(parseBroker("10.0.0.2:1884")).toEqual({
      ok: true,
      broker: "10.0.0.2",
      port: 1884,
      url: "mqtt://10.0.0.2:1884",
    });
    expect(parseBroker("[::1]:1883")).toEqual({
      ok: true,
      broker: "::1",
      port: 1883,
      url: "mqtt://[::1]:1883",
    });
    expect(parseBroker("mqtts://b.lan:8883")).toEqual({
      ok: true,
      broker: "mqtts://b.lan:8883",
      url: "mqtts://b.lan:8883",
    });
    expect(parseBroker("http://b.lan").ok).toBe(false);
    expect(parseBroker("b.lan:99999").ok).toBe(false);
    expect(parseBroker("two words").ok).toBe(false);
  });
});
