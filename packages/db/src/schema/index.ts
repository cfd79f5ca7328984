export * from "./audit-log";
export * from "./events";
export * from "./flows";
export * from "./outputs";
export * from "./reference-data";
export * from "./workspaces";
export * from "./api-keys";
export * from "./runtime";
