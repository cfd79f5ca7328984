import { eventSchema } from "@meterflow/canonical";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { exceptionItem, type NodeImplementation } from "../node-implementation";

const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;
const ajv = new Ajv2020({ allErrors: true, strict: false });
addFormats(ajv);

/** Checks `data` against the versioned event schema; invalid events become invalid_event exceptions with the error path. */
export const validate: NodeImplementation<"validate"> = {
  prepare(node) {
    const schema = eventSchema(node.config.schema);
    if (!schema) throw new Error(`Validate node "${node.id}": unknown event schema ${node.config.schema}`);
    const check = ajv.getSchema(schema.$id) ?? ajv.compile(schema);
    return (items) => {
      const valid = [];
      const invalid = [];
      for (const item of items) {
        if (check((item.value as { data?: unknown }).data)) {
          valid.push(item);
        } else {
          const reasons = (check.errors ?? []).map(
            (error) => `data${error.instancePath.replaceAll("/", ".")}: ${error.message ?? "is invalid"}`,
          );
          invalid.push(
            exceptionItem(item, "invalid_event", `Does not match ${node.config.schema}: ${reasons.join("; ")}`),
          );
        }
      }
      return { valid, invalid };
    };
  },
};
