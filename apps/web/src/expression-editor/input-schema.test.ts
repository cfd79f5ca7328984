import { validateFlow, type FlowDocument } from "@meterflow/flow-spec";
import { describe, expect, it } from "vitest";
import template from "../../../../templates/metered-api-billing.json";
import { inputSchemaFor, schemaPaths } from "./input-schema";

const document = validateFlow(template).document as FlowDocument;
const paths = (nodeId: string) => schemaPaths(inputSchemaFor(document, nodeId)).map((entry) => entry.path);

describe("the input schema of a node", () => {
  it("is the event with its validated data and what Enrich attached, for the Map node", () => {
    const map = paths("map");
    expect(map).toEqual(
      expect.arrayContaining([
        "id",
        "time",
        "data",
        "data.tenantId",
        "data.calls",
        "account.erpAccountId",
        "contract.contractId",
      ]),
    );
  });

  it("is the Map's canonical type downstream of it, and the window summary after an Aggregate", () => {
    expect(paths("aggregate")).toEqual(
      expect.arrayContaining(["tenantId", "quantity", "ratingPeriod", "audit.eventTime"]),
    );
    expect(paths("aggregate")).not.toContain("data.tenantId");
    expect(paths("rate")).toEqual(
      expect.arrayContaining(["tenantId", "quantity", "windowStart", "ratingPeriod", "eventCount"]),
    );
  });

  it("is the bare envelope for a node with nothing upstream", () => {
    expect(paths("events")).toEqual(["specversion", "id", "source", "type", "time", "subject", "data"]);
  });
});
