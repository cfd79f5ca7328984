import { createHash, randomBytes } from "node:crypto";
import { and, eq, isNull } from "drizzle-orm";
import type { Database } from "../open-database";
import { apiKeys } from "../schema";

const hashKey = (key: string) => createHash("sha256").update(key).digest("hex");

export interface CreatedApiKey {
  id: string;
  key: string;
  prefix: string;
}

/** Creates a key (`mf_…`); the plaintext is returned once and only its hash is needed afterwards. */
export async function createApiKey(
  db: Database,
  input: { workspaceId: string; name: string; revealable?: boolean },
): Promise<CreatedApiKey> {
  const key = `mf_${randomBytes(24).toString("base64url")}`;
  const prefix = key.slice(0, 9);
  const [row] = await db
    .insert(apiKeys)
    .values({
      workspaceId: input.workspaceId,
      name: input.name,
      prefix,
      keyHash: hashKey(key),
      revealable: input.revealable ? key : null,
    })
    .returning({ id: apiKeys.id });
  return { id: row!.id, key, prefix };
}

/** The workspace a key belongs to, if the key exists and is not revoked. */
export async function authenticateApiKey(
  db: Database,
  key: string,
): Promise<{ workspaceId: string; keyId: string } | undefined> {
  if (!key.startsWith("mf_")) return undefined;
  const [row] = await db
    .select({ workspaceId: apiKeys.workspaceId, keyId: apiKeys.id })
    .from(apiKeys)
    .where(and(eq(apiKeys.keyHash, hashKey(key)), isNull(apiKeys.revokedAt)));
  return row;
}

export async function listApiKeys(db: Database, workspaceId: string) {
  const rows = await db.select().from(apiKeys).where(eq(apiKeys.workspaceId, workspaceId)).orderBy(apiKeys.createdAt);
  return rows.map(({ keyHash: _hash, revealable, ...row }) => ({ ...row, key: revealable }));
}

/** First start: a revealable key for the local workspace, so a newcomer can send events at once. */
export async function ensureLocalApiKey(
  db: Database,
  workspaceId: string,
): Promise<{ key: string; created: boolean } | undefined> {
  const existing = await listApiKeys(db, workspaceId);
  const revealable = existing.find((row) => row.key && !row.revokedAt);
  if (revealable) return { key: revealable.key!, created: false };
  if (existing.length > 0) return undefined;
  const created = await createApiKey(db, { workspaceId, name: "local", revealable: true });
  return { key: created.key, created: true };
}
