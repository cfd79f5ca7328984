export * from "./canonical-objects";
export * from "./cloud-event";
export * from "./event-schemas";
export * from "./money";
export * from "./schema-registry";
