import { eq } from "drizzle-orm";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type DatabaseHandle } from "../open-database";
import { accountMap, contracts, priceLists, productMap } from "../schema";
import { createThrowawayDatabase, databaseCases } from "../testing/database-cases";
import { loadReferenceData, readReferenceDataVersion, seedReferenceData } from "./reference-data";
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

describe.each(databaseCases())("a workspace's reference data as flows look it up on $name", ({ open }) => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await open();
    await ensureWorkspace(handle.db, { id: "w", name: "W" }, { id: "u", name: "U", email: "u@x", roles: ["engineer"] });
    await ensureWorkspace(
      handle.db,
      { id: "other", name: "Other" },
      { id: "u2", name: "U2", email: "u2@x", roles: ["engineer"] },
    );
  });
  afterAll(async () => handle?.close());

  it("keys accounts and contracts by tenant with every field as the query builder reads it, of the workspace only", async () => {
    await seedReferenceData(handle.db, "w", {
      accounts: [
        { tenantId: "acme", name: "Acme", erpAccountId: "ERP-1", crmAccountId: "CRM-1", region: "eu", currency: "EUR" },
        { tenantId: "globex", erpAccountId: "ERP-2", parentErpAccountId: "ERP-1" },
      ],
      products: [{ productCode: "api-calls", erpItemCode: "ITEM-1", unit: "call" }],
      contracts: [
        {
          contractId: "C-1",
          tenantId: "acme",
          priceList: "standard",
          currency: "EUR",
          startsOn: "2026-01-01",
          endsOn: "2026-12-31",
          entitlements: [{ metric: "api_calls", includedUnits: "1000" }],
        },
      ],
      priceLists: [
        {
          name: "standard",
          version: 1,
          currency: "EUR",
          effectiveFrom: "2026-01-01T00:00:00Z",
          tiers: [{ upTo: null, unitPrice: "0.001" }],
        },
      ],
    });
    await seedReferenceData(handle.db, "other", {
      accounts: [{ tenantId: "initech", erpAccountId: "ERP-9" }],
      products: [],
      contracts: [],
      priceLists: [],
    });
    const data = await loadReferenceData(handle.db, "w");
    const builderRows = async <T extends { tenantId: string; workspaceId: string }>(rows: Promise<T[]>) =>
      Object.fromEntries(
        (await rows).map(({ workspaceId: _workspaceId, ...row }) => [
          row.tenantId,
          "id" in row ? (({ id: _id, ...rest }) => rest)(row) : row,
        ]),
      );
    expect(data.accounts).toEqual(
      await builderRows(handle.db.select().from(accountMap).where(eq(accountMap.workspaceId, "w"))),
    );
    expect(data.contracts).toEqual(
      await builderRows(handle.db.select().from(contracts).where(eq(contracts.workspaceId, "w"))),
    );
    expect(data.accounts.globex).toEqual({
      tenantId: "globex",
      name: "",
      erpAccountId: "ERP-2",
      crmAccountId: null,
      parentErpAccountId: "ERP-1",
      region: null,
      currency: null,
    });
    expect(data.contracts.acme).toMatchObject({
      startsOn: "2026-01-01",
      endsOn: "2026-12-31",
      entitlements: [{ metric: "api_calls", includedUnits: "1000" }],
    });
    expect(data.products).toEqual({
      "api-calls": { productCode: "api-calls", erpItemCode: "ITEM-1", name: "", unit: "call" },
    });
    expect(data.priceLists).toMatchObject([{ name: "standard", effectiveFrom: "2026-01-01T00:00:00.000Z" }]);
  });

  it("finds a tenant's contract in force today among several (an ended one, a renewal entered ahead), whatever order they were added in", async () => {
    const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
    const contract = (contractId: string, startsOn: string, endsOn: string | null) => ({
      workspaceId: "w",
      contractId,
      tenantId: "umbrella",
      priceList: "standard",
      currency: "EUR",
      startsOn,
      endsOn,
    });
    await handle.db
      .insert(contracts)
      .values([
        contract("C-RENEWAL", day(30), null),
        contract("C-CURRENT", day(-200), day(100)),
        contract("C-ENDED", day(-600), day(-201)),
      ]);
    expect((await loadReferenceData(handle.db, "w")).contracts.umbrella).toMatchObject({ contractId: "C-CURRENT" });
    await handle.db.delete(contracts).where(eq(contracts.contractId, "C-CURRENT"));
    expect((await loadReferenceData(handle.db, "w")).contracts.umbrella).toMatchObject({ contractId: "C-RENEWAL" }); // none in force: the latest
  });
});

// Two sessions at once: PostgreSQL only (PGlite has one connection).
describe.skipIf(!process.env.DATABASE_URL)("the reference data version under concurrent editors on postgres", () => {
  it("makes writers of reference data wait for each other before they lock a row, so two editors never deadlock", {
    timeout: 30_000,
  }, async () => {
    const database = await createThrowawayDatabase(process.env.DATABASE_URL!);
    const handle = await openDatabase({ databaseUrl: database.url });
    const client = postgres(database.url, { max: 3, onnotice: () => {} });
    const [first, second, observer] = [await client.reserve(), await client.reserve(), await client.reserve()];
    try {
      await ensureWorkspace(
        handle.db,
        { id: "w", name: "W" },
        { id: "u", name: "U", email: "u@x", roles: ["engineer"] },
      );
      await handle.db
        .insert(accountMap)
        .values(
          ["acme", "globex"].map((tenantId) => ({ workspaceId: "w", tenantId, erpAccountId: `ERP-${tenantId}` })),
        );
      const before = await readReferenceDataVersion(handle.db);
      await first`begin`;
      await first`update account_map set erp_account_id = 'ERP-1' where tenant_id = 'acme'`;
      await second`begin`;
      const secondEdit = second`update account_map set erp_account_id = 'ERP-2' where tenant_id = 'globex'`.execute();
      await expect
        .poll(
          async () =>
            (
              await observer`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`
            )[0]!.n,
        )
        .toBe(1);
      // Had the second editor locked globex's row before waiting for the version, this would deadlock.
      await first`update account_map set erp_account_id = 'ERP-1' where tenant_id = 'globex'`;
      await first`commit`;
      await secondEdit;
      await second`commit`;
      const rows = await handle.db
        .select({ tenantId: accountMap.tenantId, erpAccountId: accountMap.erpAccountId })
        .from(accountMap)
        .orderBy(accountMap.tenantId);
      expect(rows).toEqual([
        { tenantId: "acme", erpAccountId: "ERP-1" },
        { tenantId: "globex", erpAccountId: "ERP-2" },
      ]);
      expect(await readReferenceDataVersion(handle.db)).toBe(before + 3);
    } finally {
      for (const session of [first, second, observer]) session.release();
      await client.end();
      await handle.close();
      await database.drop();
    }
  });
});
