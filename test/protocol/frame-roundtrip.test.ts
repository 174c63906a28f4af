/** Every frame our encoders can build comes back out of the assembler unchanged, in any chunking. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FrameAssembler } from "../../src/protocol/assembler.js";
import {
  encodeModuleFrame,
  encodeReadRequest,
  encodeResponse,
  encodeWriteRequest,
} from "../../src/protocol/frame.js";

const byte = fc.integer({ min: 0, max: 255 });
const data = fc.uint8Array({ maxLength: 255 });

function chunked(frame: Uint8Array, sizes: number[]) {
  const assembler = new FrameAssembler();
  const items = [];
  let at = 0;
  for (let i = 0; at < frame.length; i++) {
    const size = sizes[i % sizes.length] as number;
    items.push(...assembler.push(frame.subarray(at, at + size)));
    at += size;
  }
  return [...items, ...assembler.end()];
}

const sizes = fc.array(fc.integer({ min: 1, max: 41 }), { minLength: 1, maxLength: 8 });

describe("encoder -> assembler round trip", () => {
  it("returns any response with its register, status and data (registers A5/5A read as requests)", () => {
    fc.assert(
      fc.property(
        byte.filter((r) => r !== 0xa5 && r !== 0x5a),
        byte,
        data,
        sizes,
        (register, status, body, split) => {
          const frame = encodeResponse(register, status, body);
          const items = chunked(frame, split);
          expect(items).toHaveLength(1);
          const kind = status !== 0 ? "error_reply" : body.length === 0 ? "ack" : "response";
          expect(items[0]).toEqual({ kind, register, status, data: body, bytes: frame });
        },
      ),
    );
  });

  it("returns any read or write request", () => {
    fc.assert(
      fc.property(byte, data, fc.boolean(), sizes, (register, body, write, split) => {
        const frame = write ? encodeWriteRequest(register, body) : encodeReadRequest(register);
        const [item] = chunked(frame, split);
        expect(item).toEqual({
          kind: "request",
          op: write ? "write" : "read",
          register,
          data: write ? body : new Uint8Array(),
          bytes: frame,
        });
      }),
    );
  });

  it("returns any module frame", () => {
    fc.assert(
      fc.property(byte, data, sizes, (cmd, body, split) => {
        const frame = encodeModuleFrame(cmd, body);
        expect(chunked(frame, split)).toEqual([{ kind: "module", cmd, data: body, bytes: frame }]);
      }),
    );
  });
});
