import { eq } from "drizzle-orm";
import { canonicalObjects, type DatabaseHandle } from "@meterflow/db";
import { databaseCases } from "@meterflow/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import template from "../../../../templates/metered-api-billing.json";
import { replayEvents } from "../operations/replay";
import { apiCall, ingestMany, deployedBillingFlow, OPERATOR, WORKSPACE } from "../testing/runtime-fixture";
import { processNextBatch } from "./process-events";

/**
 * The billing template with two more Maps beside the first: each enriched event also becomes two
 * Accounts, 10,000 objects from a micro-batch of 5,000 (as a VALUES list of 7 fields each, past
 * PostgreSQL's 65,535 parameters).
 */
function withAccounts() {
  const document = structuredClone(template) as typeof template;
  const map = document.nodes.find((node) => node.id === "map")!;
  for (const [i, id] of ["accounts", "owners"].entries()) {
    document.nodes.push({
      ...map,
      id,
      name: `To account (${id})`,
      position: { x: map.position.x, y: map.position.y + 200 * (i + 1) },
      config: {
        target: "Account@1",
        fields: [
          { target: "tenantId", expression: "data.tenantId" },
          { target: "erpAccountId", expression: "account.erpAccountId" },
        ],
      } as never,
    });
    document.edges.push({
      id: `e-enrich-${id}`,
      source: { node: "enrich", port: "out" },
      target: { node: id, port: "in" },
    });
  }
  document.references.canonicalTypes.push("Account@1");
  return document;
}

describe.each(databaseCases())("canonical objects other than usage records on $name", ({ open }) => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await open();
  });
  afterAll(async () => handle?.close());

  it("stores one per item and node, all of a micro-batch's in one statement, and a backfill adds none twice", async () => {
    const { version } = await deployedBillingFlow(handle.db, withAccounts());
    await ingestMany(handle.db, 5_000, (i) =>
      apiCall(`acct-${i}`, ["acme", "globex"][i % 2]!, 1, "2027-09-02T10:00:00Z"),
    );
    expect(
      await processNextBatch(handle.db, { batchSize: 5_000, now: () => new Date("2027-09-03T00:00:00Z") }),
    ).toMatchObject({ events: 5_000, outcomes: { validated: 5_000 } });
    const stored = await handle.db
      .select({ type: canonicalObjects.type, payload: canonicalObjects.payload })
      .from(canonicalObjects)
      .where(eq(canonicalObjects.nodeId, "accounts"));
    expect(stored).toHaveLength(5_000);
    expect(await handle.db.$count(canonicalObjects, eq(canonicalObjects.nodeId, "owners"))).toBe(5_000);
    expect(
      new Set(
        stored.map(
          ({ type, payload }) =>
            `${type} ${(payload as { tenantId: string }).tenantId} ${(payload as { erpAccountId: string }).erpAccountId}`,
        ),
      ),
    ).toEqual(new Set(["Account@1 acme ERP-1001", "Account@1 globex ERP-1002"]));

    await replayEvents(handle.db, {
      workspaceId: WORKSPACE,
      flowVersionId: version.id,
      from: new Date("2027-09-01T00:00:00Z"),
      to: new Date("2027-10-01T00:00:00Z"),
      mode: "backfill",
      actor: OPERATOR,
      now: new Date("2027-09-03T00:00:00Z"),
    });
    expect(await handle.db.$count(canonicalObjects)).toBe(10_000);
  });
});
