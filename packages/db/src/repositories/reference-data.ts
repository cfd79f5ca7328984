import { and, asc, eq, getTableColumns, ilike, or, sql, type SQL } from "drizzle-orm";
import type { PgTable } from "drizzle-orm/pg-core";
import type { Database } from "../open-database";
import { rowsOf } from "../raw-rows";
import { appendAudit, type AuditActor } from "./audit-log";
import {
  accountMap,
  contracts,
  priceLists,
  productMap,
  referenceDataVersion,
  type Entitlement,
  type PriceTier,
} from "../schema";

export interface ReferenceDataSet {
  accounts: Omit<typeof accountMap.$inferInsert, "workspaceId">[];
  products: Omit<typeof productMap.$inferInsert, "workspaceId">[];
  contracts: (Omit<typeof contracts.$inferInsert, "workspaceId" | "id" | "entitlements"> & {
    entitlements: Entitlement[];
  })[];
  priceLists: (Omit<
    typeof priceLists.$inferInsert,
    "workspaceId" | "id" | "effectiveFrom" | "effectiveTo" | "tiers"
  > & { effectiveFrom: string; effectiveTo?: string | null; tiers: PriceTier[] })[];
}

/** Inserts reference data into a workspace that has none yet (first start); returns whether it did. */
export async function seedReferenceData(db: Database, workspaceId: string, data: ReferenceDataSet): Promise<boolean> {
  const [existing] = await db
    .select({ tenantId: accountMap.tenantId })
    .from(accountMap)
    .where(eq(accountMap.workspaceId, workspaceId))
    .limit(1);
  if (existing) return false;
  await db.transaction(async (tx) => {
    if (data.accounts.length) await tx.insert(accountMap).values(data.accounts.map((row) => ({ ...row, workspaceId })));
    if (data.products.length) await tx.insert(productMap).values(data.products.map((row) => ({ ...row, workspaceId })));
    if (data.contracts.length)
      await tx.insert(contracts).values(data.contracts.map((row) => ({ ...row, workspaceId })));
    if (data.priceLists.length) {
      await tx.insert(priceLists).values(
        data.priceLists.map((row) => ({
          ...row,
          workspaceId,
          effectiveFrom: new Date(row.effectiveFrom),
          effectiveTo: row.effectiveTo ? new Date(row.effectiveTo) : null,
        })),
      );
    }
  });
  return true;
}

export type AccountInput = ReferenceDataSet["accounts"][number];
export type ContractInput = ReferenceDataSet["contracts"][number];

/**
 * Adds a tenant's account mapping or changes it (by tenant), audited: how an operator fixes an
 * unmatched_account exception before retrying it. The runtime sees the change within a second.
 */
export async function saveAccount(
  db: Database,
  input: { workspaceId: string; actor: AuditActor; account: AccountInput },
) {
  const { tenantId, ...fields } = input.account;
  return db.transaction(async (tx) => {
    const [saved] = await tx
      .insert(accountMap)
      .values({ ...input.account, workspaceId: input.workspaceId })
      .onConflictDoUpdate({
        target: [accountMap.workspaceId, accountMap.tenantId],
        set: { name: "", crmAccountId: null, parentErpAccountId: null, region: null, currency: null, ...fields },
      })
      .returning();
    await appendAudit(tx, {
      workspaceId: input.workspaceId,
      actor: input.actor,
      action: "reference_data.account_saved",
      entityType: "account",
      entityId: tenantId,
      details: { ...fields },
    });
    return saved!;
  });
}

/** Adds a contract or changes it (by contract id), audited. */
export async function saveContract(
  db: Database,
  input: { workspaceId: string; actor: AuditActor; contract: ContractInput },
) {
  const { contractId, ...fields } = input.contract;
  return db.transaction(async (tx) => {
    const [saved] = await tx
      .insert(contracts)
      .values({ ...input.contract, workspaceId: input.workspaceId })
      .onConflictDoUpdate({
        target: [contracts.workspaceId, contracts.contractId],
        set: { region: null, endsOn: null, ...fields },
      })
      .returning();
    await appendAudit(tx, {
      workspaceId: input.workspaceId,
      actor: input.actor,
      action: "reference_data.contract_saved",
      entityType: "contract",
      entityId: contractId,
      details: { ...fields },
    });
    const { id: _id, workspaceId: _workspaceId, ...contract } = saved!;
    return contract;
  });
}

/**
 * Removes a tenant's account mapping or a contract, audited; false when there was none. Records
 * and postings made with it keep what they were made with; the tenant's next events become
 * unmatched_account exceptions again.
 */
export async function deleteReferenceRow(
  db: Database,
  input: { workspaceId: string; actor: AuditActor; kind: "account" | "contract"; id: string },
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const deleted =
      input.kind === "account"
        ? await tx
            .delete(accountMap)
            .where(and(eq(accountMap.workspaceId, input.workspaceId), eq(accountMap.tenantId, input.id)))
            .returning({ id: accountMap.tenantId })
        : await tx
            .delete(contracts)
            .where(and(eq(contracts.workspaceId, input.workspaceId), eq(contracts.contractId, input.id)))
            .returning({ id: contracts.contractId });
    if (deleted.length === 0) return false;
    await appendAudit(tx, {
      workspaceId: input.workspaceId,
      actor: input.actor,
      action: `reference_data.${input.kind}_deleted`,
      entityType: input.kind,
      entityId: input.id,
      details: {},
    });
    return true;
  });
}

/**
 * A page of a workspace's accounts and contracts, by tenant (those whose tenant, name or ERP
 * account contains `search`, when given), and all its products and price lists (a few each).
 */
export async function browseReferenceData(
  db: Database,
  workspaceId: string,
  { search, limit = 100 }: { search?: string; limit?: number } = {},
) {
  const pattern = search ? `%${search.replace(/[\\%_]/g, (character) => `\\${character}`)}%` : undefined;
  const [accounts, contractRows, products, lists] = await Promise.all([
    db
      .select()
      .from(accountMap)
      .where(
        and(
          eq(accountMap.workspaceId, workspaceId),
          pattern
            ? or(
                ilike(accountMap.tenantId, pattern),
                ilike(accountMap.name, pattern),
                ilike(accountMap.erpAccountId, pattern),
              )
            : undefined,
        ),
      )
      .orderBy(asc(accountMap.tenantId))
      .limit(limit),
    db
      .select()
      .from(contracts)
      .where(
        and(
          eq(contracts.workspaceId, workspaceId),
          pattern ? or(ilike(contracts.tenantId, pattern), ilike(contracts.contractId, pattern)) : undefined,
        ),
      )
      .orderBy(asc(contracts.tenantId), asc(contracts.contractId))
      .limit(limit),
    db.select().from(productMap).where(eq(productMap.workspaceId, workspaceId)).orderBy(asc(productMap.productCode)),
    db
      .select()
      .from(priceLists)
      .where(eq(priceLists.workspaceId, workspaceId))
      .orderBy(asc(priceLists.name), asc(priceLists.region), asc(priceLists.version)),
  ]);
  return { accounts, contracts: contractRows, products, priceLists: lists };
}

/**
 * The version of all reference data: it moves with every committed statement that writes any of
 * it. Read it before the data, and data read after it is at least as new as that version.
 */
export async function readReferenceDataVersion(db: Database): Promise<number> {
  const [row] = await db.select({ version: referenceDataVersion.version }).from(referenceDataVersion);
  return row?.version ?? 0;
}

/** A workspace's reference data, keyed the way flows look it up: accounts and contracts by tenant, products by code. */
export async function loadReferenceData(db: Database, workspaceId: string) {
  // Accounts and contracts (a row per tenant) are read with their properties' names as column
  // names: mapped by the query builder, 100,000 tenants took 0.8-1 s, and every process reads
  // them again after any edit of reference data.
  const [accounts, contractRows, products, lists] = await Promise.all([
    rowsOf<Omit<typeof accountMap.$inferSelect, "workspaceId">>(
      db,
      sql`select ${propertiesOf(accountMap, ["workspaceId"])} from ${accountMap} where ${accountMap.workspaceId} = ${workspaceId}`,
    ),
    // A tenant may have several contracts (an old one, a renewal entered ahead): the last row of
    // a tenant is the one flows find, so the order puts last the one in force today that began
    // latest (else the one that began latest).
    rowsOf<Omit<typeof contracts.$inferSelect, "workspaceId" | "id">>(
      db,
      sql`select ${propertiesOf(contracts, ["workspaceId", "id"])} from ${contracts} where ${contracts.workspaceId} = ${workspaceId}
          order by (${contracts.startsOn} <= current_date and (${contracts.endsOn} is null or ${contracts.endsOn} >= current_date)), ${contracts.startsOn}, ${contracts.contractId}`,
    ),
    db.select().from(productMap).where(eq(productMap.workspaceId, workspaceId)),
    db.select().from(priceLists).where(eq(priceLists.workspaceId, workspaceId)),
  ]);
  const strip = <T extends { workspaceId: string }>({ workspaceId: _workspaceId, ...rest }: T) => rest;
  return {
    accounts: Object.fromEntries(accounts.map((row) => [row.tenantId, row])),
    products: Object.fromEntries(products.map((row) => [row.productCode, strip(row)])),
    contracts: Object.fromEntries(contractRows.map((row) => [row.tenantId, row])),
    priceLists: lists.map(({ id: _id, workspaceId: _workspaceId, effectiveFrom, effectiveTo, ...row }) => ({
      ...row,
      effectiveFrom: effectiveFrom.toISOString(),
      ...(effectiveTo ? { effectiveTo: effectiveTo.toISOString() } : {}),
    })),
  };
}

/**
 * The columns of `table` named as the schema's properties (what the query builder maps them to),
 * without the `omit`ted ones. Only for columns the drivers read as the builder gives them (text,
 * dates as text, json), not timestamps (a Date from the builder) or numerics.
 */
function propertiesOf(table: PgTable, omit: readonly string[]): SQL {
  const fields = Object.entries(getTableColumns(table)).filter(([name]) => !omit.includes(name));
  return sql.join(
    fields.map(([name, column]) => sql`${sql.identifier(column.name)} as ${sql.identifier(name)}`),
    sql`, `,
  );
}
