import { LRUCache } from "lru-cache";
import { authenticateApiKey, type Database } from "@meterflow/db";

export type KeyCaller = NonNullable<Awaited<ReturnType<typeof authenticateApiKey>>>;

export interface KeyAuthenticatorOptions {
  /** How long a key found valid is trusted without asking the database again (default 10 s). */
  ttlMs?: number;
  /** Keys remembered at most (default 10,000). */
  max?: number;
  /** The clock, in milliseconds (tests). */
  now?: () => number;
}

/**
 * API key checks for ingestion that remember valid keys for a few seconds: a request then costs
 * no database round trip for its key (1-2 ms of a request's acknowledgement measured under load).
 * A key revoked in the database stops working within the TTL; unknown keys are not remembered, so
 * a key created a moment ago works at once.
 */
export function createKeyAuthenticator(
  db: Database,
  { ttlMs = 10_000, max = 10_000, now }: KeyAuthenticatorOptions = {},
) {
  const valid = new LRUCache<string, KeyCaller>({
    max,
    ttl: ttlMs,
    ttlResolution: 0,
    ...(now ? { perf: { now } } : {}),
  });
  return async (key: string): Promise<KeyCaller | undefined> => {
    const remembered = valid.get(key);
    if (remembered) return remembered;
    const caller = await authenticateApiKey(db, key);
    if (caller) valid.set(key, caller);
    return caller;
  };
}
