// Regenerates schema/flow-v1.schema.json; a test fails when the committed copy is stale.
import { writeFileSync } from "node:fs";
import { flowJsonSchema } from "../src/json-schema";

writeFileSync(
  new URL("../schema/flow-v1.schema.json", import.meta.url),
  `${JSON.stringify(flowJsonSchema(), null, 2)}\n`,
);
