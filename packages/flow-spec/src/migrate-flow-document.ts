import { FLOW_API_VERSION } from "./flow-document";

/**
 * Brings a stored document of any known apiVersion up to the latest one. Migrations are data:
 * one step per old version, each tested on a fixture of that version. v1 is the first version,
 * so today the chain is empty; a new version adds `{ from, to, migrate }` here.
 */
const migrations: { from: string; to: string; migrate: (doc: Record<string, unknown>) => Record<string, unknown> }[] =
  [];

export class UnsupportedApiVersionError extends Error {
  readonly code = "unsupported_api_version";
  constructor(readonly apiVersion: unknown) {
    super(
      `Flow document apiVersion ${JSON.stringify(apiVersion)} is unknown; this Meterflow reads up to "${FLOW_API_VERSION}"`,
    );
  }
}

export function migrateFlowDocument(doc: Record<string, unknown>): Record<string, unknown> {
  let current = doc;
  for (;;) {
    if (current.apiVersion === FLOW_API_VERSION) return current;
    const step = migrations.find((migration) => migration.from === current.apiVersion);
    if (!step) throw new UnsupportedApiVersionError(current.apiVersion);
    current = { ...step.migrate(current), apiVersion: step.to };
  }
}
