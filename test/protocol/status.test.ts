import { describe, expect, it } from "vitest";
import { describeStatus, STATUS_CODES } from "../../src/protocol/status.js";

describe("response status codes", () => {
  it("names 0x80-0x83 as the V11 document does", () => {
    expect(describeStatus(0x80).name).toBe("unknown_register");
    expect(describeStatus(0x81).meaning).toMatch(/operation error/);
    expect(describeStatus(0x82).name).toBe("verification_error");
    expect(describeStatus(0x83).name).toBe("password_error");
    expect(Object.keys(STATUS_CODES)).toHaveLength(5);
  });

  it("describes any other status as unknown instead of failing", () => {
    expect(describeStatus(0x9c)).toEqual({ name: "unknown_status", meaning: "unknown status 0x9c" });
    expect(describeStatus(0x05).meaning).toBe("unknown status 0x05");
  });
});
