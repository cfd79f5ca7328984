import { cloudEventSchema } from "@meterflow/canonical";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { envelopeProblem } from "./compile-flow";

const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;
const ajv = new Ajv2020({ strict: false });
addFormats(ajv);
const schemaAccepts = ajv.compile(cloudEventSchema);

/** Envelopes near the edge of validity: each attribute valid, missing, empty or odd. */
const envelope = fc.record(
  {
    specversion: fc.constantFrom("1.0", "0.3", "", 1),
    id: fc.constantFrom("e-1", "", 7),
    source: fc.constantFrom("/gw", "https://example.com/x", "", null),
    type: fc.constantFrom("com.meterflow.api.call", ""),
    time: fc.constantFrom("2026-11-03T10:00:00Z", "2026-11-03T10:00:00.250+01:00", "2026-11-03", "Nov 3 2026", "2026-13-45T99:00:00Z", 0),
    data: fc.constantFrom({ calls: 1 }, null, "text"),
    data_base64: fc.constant("e30="),
    traceparent: fc.constantFrom("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "00-xyz", ""),
  },
  { requiredKeys: [] },
);

describe("envelopeProblem", () => {
  it("accepts exactly what the canonical CloudEvent@1 schema accepts", () => {
    fc.assert(
      fc.property(envelope, (event) => {
        expect(envelopeProblem(event) === undefined, JSON.stringify(event)).toBe(schemaAccepts(event));
      }),
      { numRuns: 2000 },
    );
  });
});
