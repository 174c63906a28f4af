/** Every benchmark section: adding one is one file in bench/ and one line here. */
import { decodeSection } from "./decode.js";
import { fuzzSection } from "./fuzz.js";
import type { BenchSection } from "./types.js";

export const SECTIONS: BenchSection[] = [decodeSection, fuzzSection];
