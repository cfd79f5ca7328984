import { eq } from "drizzle-orm";
import { apiKeys, createApiKey, ensureWorkspace, type DatabaseHandle } from "@meterflow/db";
import { databaseCases } from "@meterflow/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKeyAuthenticator } from "./key-authenticator";

describe.each(databaseCases())("the ingestion key check on $name", ({ open }) => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await open();
    await ensureWorkspace(handle.db, { id: "w", name: "W" }, { id: "u", name: "U", email: "u@x", roles: ["engineer"] });
  });
  afterAll(async () => handle?.close());

  it("trusts a valid key for its TTL, then asks again and refuses it once revoked", async () => {
    let clock = 1_000;
    const authenticate = createKeyAuthenticator(handle.db, { ttlMs: 10_000, now: () => clock });
    const { id, key } = await createApiKey(handle.db, { workspaceId: "w", name: "sdk" });
    expect(await authenticate(key)).toEqual({ workspaceId: "w", keyId: id });
    await handle.db.update(apiKeys).set({ revokedAt: new Date() }).where(eq(apiKeys.id, id));
    clock += 9_000;
    expect(await authenticate(key)).toEqual({ workspaceId: "w", keyId: id });
    clock += 2_000;
    expect(await authenticate(key)).toBeUndefined();
  });

  it("does not remember a key it did not know: one created after a refusal works at once", async () => {
    const authenticate = createKeyAuthenticator(handle.db);
    expect(await authenticate("mf_unknown")).toBeUndefined();
    expect(await authenticate("not-a-key")).toBeUndefined();
    const { key } = await createApiKey(handle.db, { workspaceId: "w", name: "later" });
    expect(await authenticate(key)).toMatchObject({ workspaceId: "w" });
  });
});
