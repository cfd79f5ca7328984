import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { describe, expect, it } from "vitest";
import { canonicalTypes, envelopeSchemas, eventSchemas } from "./schema-registry";
import { usageRecordSchema } from "./canonical-objects";
import { cloudEventSchema } from "./cloud-event";

const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

function makeAjv() {
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
  addFormats(ajv);
  return ajv;
}

describe("canonical schemas", () => {
  it("all compile in strict mode and are named name@version", () => {
    const ajv = makeAjv();
    for (const [ref, schema] of [...canonicalTypes, ...eventSchemas, ...envelopeSchemas]) {
      expect(ref).toMatch(/^[\w.]+@\d+$/);
      expect(() => ajv.compile(schema)).not.toThrow();
    }
    expect([...canonicalTypes.keys()]).toEqual(
      expect.arrayContaining([
        "Account@1",
        "Subscription@1",
        "Contract@1",
        "Product@1",
        "UsageRecord@1",
        "UsageSummary@1",
        "InvoiceCandidate@1",
        "EntitlementException@1",
      ]),
    );
  });

  it("UsageRecord@1 accepts the reference payload and refuses float quantities", () => {
    const validate = makeAjv().compile(usageRecordSchema);
    const record = {
      tenantId: "t-1",
      contractId: "c-1",
      productCode: "api-calls",
      metric: "api_calls",
      quantity: "1250",
      ratingPeriod: "2026-11",
      pricingRef: "api-calls-standard",
      sourceEventRange: {
        firstEventTime: "2026-11-01T00:00:00Z",
        lastEventTime: "2026-11-01T10:00:00Z",
        count: 3,
        digest: "sha256:ab",
      },
      audit: { flowId: "f-1", flowVersion: 1, nodeId: "map", correlationId: "corr-1" },
    };
    expect(validate(record), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ ...record, quantity: 12.5 })).toBe(false);
    expect(validate.errors?.[0]?.instancePath).toBe("/quantity");
  });

  it("the CloudEvent envelope needs specversion 1.0, id, source and type", () => {
    const validate = makeAjv().compile(cloudEventSchema);
    expect(
      validate({
        specversion: "1.0",
        id: "1",
        source: "/billing",
        type: "com.meterflow.api.call",
        time: "2026-11-24T10:00:00Z",
        data: {},
      }),
    ).toBe(true);
    expect(validate({ specversion: "0.3", id: "1", source: "/billing", type: "x" })).toBe(false);
    expect(validate({ specversion: "1.0", source: "/billing", type: "x" })).toBe(false);
    expect(validate({ specversion: "1.0", id: "1", source: "/b", type: "x", data: {}, data_base64: "e30=" })).toBe(
      false,
    );
  });
});
