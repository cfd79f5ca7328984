import type { DatabaseHandle } from "@meterflow/db";
import { databaseCases } from "@meterflow/db/testing";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoTemplates, testCaller } from "../testing/test-caller";

describe.each(databaseCases())("flows.testRun on $name", ({ open }) => {
  let handle: DatabaseHandle;
  let api: Awaited<ReturnType<typeof testCaller>>;
  beforeAll(async () => {
    handle = await open();
    api = await testCaller(handle);
  });
  afterAll(async () => handle?.close());

  it("runs the template's sample events against the demo reference data, posting nothing", async () => {
    const flow = await api.caller.templates.instantiate({ templateId: "metered-api-billing" });
    const samples = repoTemplates.find((template) => template.id === "metered-api-billing")!.sampleEvents;
    const result = await api.caller.flows.testRun({ id: flow.id, events: samples });

    expect(result.counts).toEqual({ validated: 3, duplicate: 1, exception: 2 });
    expect(result.exceptions.map((exception) => exception.kind).sort()).toEqual(["invalid_event", "unmatched_account"]);
    // acme: 430,000 calls - 100,000 included = 330,000 at 0.0010 -> posted.
    expect(result.postings).toEqual([
      expect.objectContaining({
        idempotencyKey: expect.stringMatching(/^[0-9a-f]{64}$/),
        request: {
          customer: "ERP-1001",
          currency: "EUR",
          lines: [{ item: "api-calls", description: "api_calls 2026-11", quantity: "330000", amount: "330.00" }],
        },
      }),
    ]);
    // globex: 6,300,000 billable -> 1,000,000 x 0.0010 + 5,300,000 x 0.0008 = 5,240.00 > 5,000: held for finance.
    expect(result.approvals).toEqual([
      expect.objectContaining({
        approverRole: "finance",
        payload: expect.objectContaining({
          tenantId: "globex",
          total: { amount: "5240.00", currency: "EUR" },
          pricingRuleVersion: "api-calls-standard@1/global",
        }),
      }),
    ]);
    expect(result.summaries.map((summary) => summary.window.group.tenantId)).toEqual(["acme", "globex"]);
    expect(result.traces.find((trace) => trace.nodeId === "rate")).toMatchObject({ received: 2 });

    const again = await api.caller.flows.testRun({ id: flow.id, events: samples });
    expect(again.postings.map((posting) => posting.idempotencyKey)).toEqual(
      result.postings.map((posting) => posting.idempotencyKey),
    );
  });

  it("explains bad input: no events, or a flow that cannot run", async () => {
    const flow = await api.caller.templates.instantiate({ templateId: "metered-api-billing" });
    const none = await api.caller.flows.testRun({ id: flow.id, events: [] }).catch((error: unknown) => error);
    expect(none).toBeInstanceOf(TRPCError);
    expect((none as TRPCError).message).toMatch(/Give at least one event/);
  });
});
