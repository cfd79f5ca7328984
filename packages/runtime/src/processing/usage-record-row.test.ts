import { describe, expect, it } from "vitest";
import { usageRecordColumns, usageRecordPayload, type RecordOrigin } from "./usage-record-row";

const origin: RecordOrigin = { flowVersionHash: "sha256:abc", nodeId: "map", correlationId: "/gw#e-1" };
const audit = {
  flowVersionHash: origin.flowVersionHash,
  nodeId: "map",
  correlationId: "/gw#e-1",
  eventTime: "2026-11-03T10:00:00.000Z",
  mappingRef: "UsageRecord@1",
};

/** Stores a record as the runtime does (columns, payload through JSON text) and reads it back. */
function roundTrip(payload: Record<string, unknown>, at: RecordOrigin = origin) {
  const { rest, ...columns } = usageRecordColumns(payload, { tenantId: "partition-1" }, at);
  const stored = JSON.parse(JSON.stringify(rest)) as unknown;
  return {
    columns,
    rest: stored as Record<string, unknown>,
    back: usageRecordPayload({ ...columns, payload: stored }, at),
  };
}

describe("usage records as rows", () => {
  it("keeps in the payload only what no column holds, and reads the record back whole", () => {
    const record = {
      tenantId: "acme",
      contractId: "C-1",
      productCode: "api-calls",
      metric: "api_calls",
      quantity: "12.50",
      ratingPeriod: "2026-11",
      pricingRef: "std",
      erpAccount: "E-1",
      audit,
    };
    const { columns, rest, back } = roundTrip(record);
    expect(columns).toEqual({
      tenantId: "acme",
      contractId: "C-1",
      productCode: "api-calls",
      metric: "api_calls",
      quantity: "12.50",
      ratingPeriod: "2026-11",
    });
    expect(rest).toEqual({
      pricingRef: "std",
      erpAccount: "E-1",
      audit: { eventTime: audit.eventTime, mappingRef: "UsageRecord@1" },
      $audit: true,
    });
    expect(back).toEqual(record);
  });

  it("does not turn a column's fallback into a field the record never had", () => {
    const { columns, back } = roundTrip({ pricingRef: "std" });
    expect(columns).toMatchObject({
      tenantId: "partition-1",
      metric: "unknown",
      quantity: "0",
      ratingPeriod: "",
      contractId: null,
      productCode: null,
    });
    expect(back).toEqual({ pricingRef: "std" });
  });

  it("keeps fields the columns would alter: values that are not text, and quantities numeric would rewrite", () => {
    for (const quantity of [12, "1e3", "007", "-0", "-0.00", "+1", " 1", null, { amount: "1" }]) {
      const record = {
        tenantId: 42,
        contractId: null,
        productCode: "p",
        metric: "m",
        quantity,
        ratingPeriod: ["2026-11"],
      };
      const { rest, back } = roundTrip(record);
      expect(back).toEqual(record);
      expect(rest).toHaveProperty("quantity");
    }
    for (const quantity of ["0", "-3", "0.000", "123456789012345678901234567890.5"])
      expect(roundTrip({ quantity }).rest).not.toHaveProperty("quantity");
  });

  it("keeps an audit that names another origin as it is", () => {
    const record = { tenantId: "acme", audit: { ...audit, nodeId: "other-map" } };
    const { rest, back } = roundTrip(record);
    expect(rest.audit).toEqual(record.audit);
    expect(rest).not.toHaveProperty("$audit");
    expect(back).toEqual(record);
  });

  it("writes what JSON would of the fields it keeps: undefined left out, __proto__ kept as a field", () => {
    const record = JSON.parse('{"tenantId":"acme","__proto__":{"x":1},"note":"a\\"b"}') as Record<string, unknown>;
    record.gone = undefined;
    const { rest, back } = roundTrip(record);
    expect(rest).not.toHaveProperty("gone");
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(back).toEqual(JSON.parse('{"tenantId":"acme","__proto__":{"x":1},"note":"a\\"b"}'));
  });

  it("stores a record with a field of its own beginning with $ whole, so no marker meets it", () => {
    const record = { tenantId: "acme", $absent: ["x"], $audit: "mine", $whole: 1, quantity: "5", audit };
    const { rest, back } = roundTrip(record);
    expect(rest).toEqual({ $whole: record });
    expect(back).toEqual(record);
  });

  it("reads a payload stored whole before the columns were left out of it", () => {
    const record = { tenantId: "acme", metric: "api_calls", quantity: "3", ratingPeriod: "2026-11", audit };
    expect(
      usageRecordPayload(
        {
          tenantId: "acme",
          contractId: null,
          productCode: null,
          metric: "api_calls",
          quantity: "3",
          ratingPeriod: "2026-11",
          payload: record,
        },
        origin,
      ),
    ).toEqual(record);
  });
});
