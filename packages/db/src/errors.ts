/** Typed repository errors; the API maps them to tRPC errors a user can act on. */
export class NotFoundError extends Error {
  readonly code = "NOT_FOUND";
  constructor(readonly entity: string, readonly id: string) {
    super(`${entity} "${id}" does not exist`);
  }
}

export class ConflictError extends Error {
  readonly code = "CONFLICT";
  constructor(message: string, readonly details: Record<string, unknown> = {}) {
    super(message);
  }
}

/** The database could not be opened; the message is one line a person can act on. */
export class DatabaseStartupError extends Error {
  readonly code = "DATABASE_STARTUP";
}
