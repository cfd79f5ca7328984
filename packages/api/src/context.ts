import type { AuditActor, Database, Role } from "@meterflow/db";
import type { ErpLookup, IngestActivity, RuntimeMetrics } from "@meterflow/runtime";
import type { TemplateCatalog } from "@meterflow/runtime";

/** The signed-in caller: who acts (as the audit log names them) and the roles they hold here. */
export interface Actor extends AuditActor {
  roles: Role[];
}

/** Everything a procedure may use; the server builds it per request, tests build it directly. */
export interface Context {
  db: Database;
  driver: "pglite" | "postgres";
  workspaceId: string;
  actor: Actor | null;
  templates: TemplateCatalog;
  /**
   * The runtime in this process, when one runs: wakes its worker, asks the ERP for reconciliation;
   * its workers give way to ingestion counted in `ingestActivity`; `metrics` (served at /metrics)
   * counts what it ingests.
   */
  runtime?: {
    wake(): void;
    erp?: ErpLookup;
    erpPageUrl?: string;
    ingestActivity?: IngestActivity;
    metrics?: RuntimeMetrics;
  };
}
