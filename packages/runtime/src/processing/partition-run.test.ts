import { and, eq } from "drizzle-orm";
import { accountMap, type DatabaseHandle } from "@meterflow/db";
import { databaseCases } from "@meterflow/db/testing";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { deployedBillingFlow, WORKSPACE } from "../testing/runtime-fixture";
import { referenceDataOf } from "./partition-run";

describe.each(databaseCases())("reference data kept in memory on $name", ({ open }) => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await open();
    await deployedBillingFlow(handle.db);
  });
  afterAll(async () => handle?.close());

  it("is read again after a second only if the reference data version moved, and at once when asked for fresh data", async () => {
    const setAcme = (erpAccountId: string) => handle.db.update(accountMap).set({ erpAccountId }).where(and(eq(accountMap.workspaceId, WORKSPACE), eq(accountMap.tenantId, "acme")));
    let now = Date.now();
    const clock = vi.spyOn(Date, "now").mockImplementation(() => now);
    try {
      const first = await referenceDataOf(handle.db, WORKSPACE);
      now += 5_000;
      expect(await referenceDataOf(handle.db, WORKSPACE)).toBe(first); // unchanged: the same copy

      await setAcme("ERP-9001");
      expect(await referenceDataOf(handle.db, WORKSPACE)).toBe(first); // within its second
      now += 1_000;
      const reread = await referenceDataOf(handle.db, WORKSPACE);
      expect(reread).not.toBe(first);
      expect(reread.accounts?.acme).toMatchObject({ erpAccountId: "ERP-9001" });

      await setAcme("ERP-9002");
      expect((await referenceDataOf(handle.db, WORKSPACE, true)).accounts?.acme).toMatchObject({ erpAccountId: "ERP-9002" });
    } finally {
      clock.mockRestore();
    }
  });
});
