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

const validEnvelope = { specversion: "1.0", id: "e-1", source: "/gw", type: "com.meterflow.api.call" };
const REMOVED = Symbol("removed");

/** What each attribute (and a few extensions) may be set to: valid, removed, empty or odd. */
const variants: Record<string, unknown[]> = {
  specversion: ["1.0", "0.3", "", 1, null, REMOVED],
  id: ["e-1", "", 7, REMOVED],
  source: ["https://example.com/x", "billing-service", "urn:meter#eu", "my source", "a|b", "", null, REMOVED],
  type: ["com.meterflow.api.call", "", REMOVED],
  time: [
    "2026-11-03T10:00:00Z",
    "2026-11-03T10:00:00.250+01:00",
    "2026-11-03",
    "Nov 3 2026",
    "2026-13-45T99:00:00Z",
    0,
  ],
  data: [{ calls: 1 }, null, "text"],
  data_base64: ["e30=", 5],
  traceparent: ["00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "00-xyz", ""],
  subject: ["acme", "", 5],
  datacontenttype: ["application/json", true],
  dataschema: ["https://meterflow.dev/schemas/api_call/1", "urn:schema:x", "/relative", "not a uri", 3],
  region: ["eu", 3, false, null, { zone: 1 }, ["eu"]],
  tenantId: ["acme"],
  "x-trace": ["1"],
};

/** A valid envelope with up to three attributes changed: each rule is met alone, not only behind another. */
const envelope = fc
  .uniqueArray(fc.constantFrom(...Object.keys(variants)), { maxLength: 3 })
  .chain((names) =>
    fc.tuple(...names.map((name) => fc.constantFrom(...variants[name]!).map((value) => [name, value] as const))),
  )
  .map((changes) => {
    const event: Record<string, unknown> = { ...validEnvelope };
    for (const [name, value] of changes) {
      if (value === REMOVED) delete event[name];
      else event[name] = value;
    }
    return event;
  });

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

describe("envelopeProblem's messages", () => {
  it.each([
    [{ source: "/gw" }, "Not a CloudEvent: missing specversion, id, type"],
    [{ ...validEnvelope, id: 7 }, "id must be a non-empty string, not 7"],
    [
      { ...validEnvelope, source: "my source" },
      'source "my source" is not a URI reference (RFC 3986: no spaces, and other characters percent-encoded)',
    ],
    [{ ...validEnvelope, subject: 5 }, "subject must be a string, not 5"],
    [{ ...validEnvelope, dataschema: "not a uri" }, 'dataschema "not a uri" is not an absolute URI'],
    [
      { ...validEnvelope, tenantId: "acme" },
      'Attribute "tenantId": CloudEvents attribute names are lowercase letters and digits only',
    ],
    [
      { ...validEnvelope, region: { zone: 1 } },
      "Extension attribute region must be a string, number or boolean, not an object",
    ],
  ])("%j: %s", (event, message) => {
    expect(envelopeProblem(event)).toBe(message);
  });

  it("accepts extensions of lowercase letters and digits with scalar values", () => {
    expect(
      envelopeProblem({ ...validEnvelope, region: "eu", shard2: 3, sampled: true, partitionkey: null }),
    ).toBeUndefined();
  });
});
