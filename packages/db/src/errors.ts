/** Typed repository errors; the API maps them to tRPC errors a user can act on. */
export class NotFoundError extends Error {
  readonly code = "NOT_FOUND";
  constructor(
    readonly entity: string,
    readonly id: string,
  ) {
    super(`${entity} "${id}" does not exist`);
  }
}

export class ConflictError extends Error {
  readonly code = "CONFLICT";
  constructor(
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** The database could not be opened; the message is one line a person can act on. */
export class DatabaseStartupError extends Error {
  readonly code = "DATABASE_STARTUP";
}

/** What PostgreSQL text cannot hold, for messages. */
export const UNSTORABLE_TEXT = "a character PostgreSQL text cannot hold (U+0000, or half of a surrogate pair)";

/** Finds in a string what PostgreSQL text cannot hold: U+0000, or a surrogate without its pair. */
// eslint-disable-next-line no-control-regex -- U+0000 is exactly what is searched for
export const unstorableCharacter = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Text PostgreSQL could store as json but not as text later, found before it was sent. */
export class UnstorableTextError extends Error {
  constructor(what: string) {
    super(`${what} contains ${UNSTORABLE_TEXT}`);
  }
}

/**
 * The database refused text (untranslatable_character: \u0000; invalid_text_representation: a
 * lone surrogate's escape) as the driver reports it, directly or as a drizzle query's cause, or
 * such text was found before sending it.
 */
export function refusedText(error: unknown): boolean {
  return causes(error).some((at) => {
    if (at instanceof UnstorableTextError) return true;
    const code = (at as { code?: unknown }).code;
    return (
      code === "22P05" ||
      (code === "22P02" && /Unicode|surrogate|json/i.test(`${at.message} ${(at as { detail?: unknown }).detail ?? ""}`))
    );
  });
}

/**
 * The database refused a row for repeating the key of the named unique constraint
 * (unique_violation), as either driver reports it, directly or as a drizzle query's cause.
 */
export function violatesUnique(error: unknown, constraint: string): boolean {
  return causes(error).some((at) => {
    const {
      code,
      constraint_name: postgresName,
      constraint: pgliteName,
    } = at as { code?: unknown; constraint_name?: unknown; constraint?: unknown };
    return code === "23505" && (postgresName ?? pgliteName) === constraint;
  });
}

/** A lock was not granted within the statement's lock_timeout (lock_not_available), as either driver reports it. */
export function lockNotAvailable(error: unknown): boolean {
  return causes(error).some((at) => (at as { code?: unknown }).code === "55P03");
}

/** An error and its causes: drizzle wraps the driver's error as a query error's cause. */
function causes(error: unknown): Error[] {
  const chain: Error[] = [];
  for (let at: unknown = error; at instanceof Error; at = at.cause) chain.push(at);
  return chain;
}
