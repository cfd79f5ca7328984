import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DatabaseHandle } from "../open-database";
import { accountMap, contracts, priceLists, productMap } from "../schema";
import { databaseCases } from "../testing/database-cases";
import { readReferenceDataVersion, seedReferenceData } from "./reference-data";
import { ensureWorkspace } from "./workspaces";

describe.each(databaseCases())("the reference data version on $name", ({ open }) => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await open();
    await ensureWorkspace(handle.db, { id: "w", name: "W" }, { id: "u", name: "U", email: "u@x", roles: ["engineer"] });
  });
  afterAll(async () => handle?.close());

  it("moves with every statement that writes any reference table, and only when one commits", async () => {
    const versions = [await readReferenceDataVersion(handle.db)];
    const moved = async () => {
      versions.push(await readReferenceDataVersion(handle.db));
      return versions.at(-1)! > versions.at(-2)!;
    };
    await seedReferenceData(handle.db, "w", {
      accounts: [{ tenantId: "acme", erpAccountId: "ERP-1" }],
      products: [{ productCode: "api-calls", erpItemCode: "ITEM-1" }],
      contracts: [],
      priceLists: [],
    });
    expect(await moved()).toBe(true);
    await handle.db.update(accountMap).set({ erpAccountId: "ERP-2" }).where(eq(accountMap.tenantId, "acme"));
    expect(await moved()).toBe(true);
    await handle.db.delete(productMap).where(eq(productMap.workspaceId, "w"));
    expect(await moved()).toBe(true);
    await handle.db.delete(contracts).where(eq(contracts.workspaceId, "w"));
    expect(await moved()).toBe(true); // a statement writing no row still counts
    await handle.db.delete(priceLists).where(eq(priceLists.workspaceId, "w"));
    expect(await moved()).toBe(true);
    await expect(
      handle.db.transaction(async (tx) => {
        await tx.update(accountMap).set({ erpAccountId: "ERP-3" }).where(eq(accountMap.tenantId, "acme"));
        throw new Error("rolled back");
      }),
    ).rejects.toThrow("rolled back");
    expect(await moved()).toBe(false);
    await handle.db.select().from(accountMap);
    expect(await moved()).toBe(false); // reading is not writing
  });
});
