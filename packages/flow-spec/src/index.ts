export * from "./canonical-json";
export * from "./field-schemas";
export * from "./flow-document";
export * from "./json-schema";
export * from "./migrate-flow-document";
export * from "./node-types";
export * from "./problems";
export * from "./validate-flow";
