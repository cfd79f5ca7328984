export * from "./errors";
export * from "./open-database";
export * from "./repositories/audit-log";
export * from "./repositories/flow-versions";
export * from "./repositories/flows";
export * from "./repositories/raw-events";
export * from "./repositories/workspaces";
export * from "./schema";
