import type { DatabaseHandle } from "@meterflow/db";
import { databaseCases } from "@meterflow/db/testing";
import { processNextBatch } from "@meterflow/runtime";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { testCaller } from "../testing/test-caller";

describe.each(databaseCases())("the reference data API on $name", ({ open }) => {
  let handle: DatabaseHandle;
  let api: Awaited<ReturnType<typeof testCaller>>;
  beforeAll(async () => {
    handle = await open();
    api = await testCaller(handle);
  });
  afterAll(async () => handle?.close());

  it("adds the account and contract an exception lacked; the retried exception then resolves into a usage record", async () => {
    const flow = await api.caller.templates.instantiate({ templateId: "metered-api-billing" });
    await api.caller.deployments.deploy({
      versionId: (await api.caller.versions.publish({ flowId: flow.id, changelog: "first" })).id,
    });
    const call = (id: string, tenantId: string, calls: number) => ({
      specversion: "1.0",
      id,
      source: "/gw",
      type: "com.meterflow.api.call",
      time: "2026-10-03T10:00:00Z",
      data: { tenantId, productCode: "api-calls", calls },
    });
    await api.caller.events.ingest({
      events: [call("n-1", "newco", 7), call("n-1b", "newco", 3), call("o-1", "otherco", 1)],
    });
    while (await processNextBatch(handle.db));
    expect(
      (await api.caller.exceptions.list({ status: "open", kind: "unmatched_account", tenant: "newco" }))
        .map((exception) => exception.eventKeys[0])
        .sort(),
    ).toEqual(["/gw#n-1", "/gw#n-1b"]);

    await expect(api.caller.referenceData.saveAccount({ tenantId: "newco", erpAccountId: "" })).rejects.toThrow(
      /Give the tenant's ERP account/,
    );
    await expect(
      api.caller.referenceData.saveContract({
        contractId: "C-NEW",
        tenantId: "newco",
        priceList: "api-calls-standard",
        currency: "eur",
        startsOn: "2026-01-01",
      }),
    ).rejects.toThrow(/ISO 4217/);
    await expect(
      api.caller.referenceData.saveContract({
        contractId: "C-NEW",
        tenantId: "newco",
        priceList: "api-calls-standard",
        currency: "EUR",
        startsOn: "2026-02-01",
        endsOn: "2026-01-01",
      }),
    ).rejects.toThrow(/endsOn \(To\) must not be before startsOn \(From\)/);
    const viewer = api.as({ id: "v-1", name: "Vic Viewer", roles: ["engineer"] });
    await expect(viewer.referenceData.saveAccount({ tenantId: "newco", erpAccountId: "ERP-2001" })).rejects.toThrow(
      /needs the operator role/,
    );

    await api.caller.referenceData.saveAccount({
      tenantId: "newco",
      name: "NewCo",
      erpAccountId: "ERP-2001",
      currency: "EUR",
      region: "eu",
    });
    await api.caller.referenceData.saveContract({
      contractId: "C-NEW",
      tenantId: "newco",
      priceList: "api-calls-standard",
      currency: "EUR",
      startsOn: "2026-01-01",
    });
    // Every open exception of the tenant retried at once; the other tenant's stays open.
    expect(await api.caller.exceptions.retryAll({ kind: "unmatched_account", tenant: "newco" })).toEqual({
      tried: 2,
      outcomes: { resolved: 2, still_failing: 0, queued: 0 },
      more: false,
    });
    expect((await api.caller.usageRecords.list()).map((record) => [record.tenantId, record.quantity]).sort()).toEqual([
      ["newco", "3"],
      ["newco", "7"],
    ]);
    expect((await api.caller.exceptions.list({ status: "open" })).map((exception) => exception.partitionKey)).toEqual([
      "otherco",
    ]);
    expect(await api.caller.exceptions.retryAll({ tenant: "otherco" })).toMatchObject({
      tried: 1,
      outcomes: { still_failing: 1 },
    });

    // Saving again changes the account in place; the page finds it by a part of its tenant, name or ERP account.
    await api.caller.referenceData.saveAccount({ tenantId: "newco", name: "NewCo Ltd", erpAccountId: "ERP-2002" });
    const found = await api.caller.referenceData.browse({ search: "co l" });
    expect(found.accounts).toEqual([
      expect.objectContaining({
        tenantId: "newco",
        name: "NewCo Ltd",
        erpAccountId: "ERP-2002",
        region: null,
        currency: null,
      }),
    ]);
    expect(found.contracts).toEqual([]);
    expect((await api.caller.referenceData.browse({ search: "newco" })).contracts).toEqual([
      expect.objectContaining({ contractId: "C-NEW", startsOn: "2026-01-01", endsOn: null }),
    ]);
    expect((await api.caller.referenceData.browse({ search: "%" })).accounts).toEqual([]); // a wildcard is searched for as itself
    // Removed again, the tenant's next event is unmatched once more; its record stays.
    expect(await api.caller.referenceData.remove({ kind: "account", id: "newco" })).toEqual({ removed: true });
    await expect(api.caller.referenceData.remove({ kind: "account", id: "newco" })).rejects.toThrow(
      /There is no account "newco" in this workspace/,
    );
    await api.caller.events.ingest({
      events: [
        {
          specversion: "1.0",
          id: "n-2",
          source: "/gw",
          type: "com.meterflow.api.call",
          time: "2026-10-04T10:00:00Z",
          data: { tenantId: "newco", productCode: "api-calls", calls: 1 },
        },
      ],
    });
    // A second on, when workers look at the reference data again.
    const later = Date.now() + 1_100;
    const clock = vi.spyOn(Date, "now").mockImplementation(() => later);
    try {
      while (await processNextBatch(handle.db));
    } finally {
      clock.mockRestore();
    }
    expect(
      (await api.caller.exceptions.list({ status: "open", tenant: "newco" })).map((exception) => exception.eventKeys),
    ).toEqual([["/gw#n-2"]]);
    expect((await api.caller.usageRecords.list()).map((record) => record.tenantId)).toEqual(["newco", "newco"]);
    expect(
      (await api.caller.audit.list({ entityType: "account" })).map((entry) => [entry.action, entry.entityId]),
    ).toEqual([
      ["reference_data.account_deleted", "newco"],
      ["reference_data.account_saved", "newco"],
      ["reference_data.account_saved", "newco"],
    ]);
  });
});
