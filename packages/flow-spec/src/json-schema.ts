import { z } from "zod";
import { flowDocument } from "./flow-document";

/** JSON Schema (2020-12) of the flow document as authored, for editors and external tools. */
export function flowJsonSchema(): Record<string, unknown> {
  return {
    $id: "https://meterflow.dev/schemas/flow/v1.json",
    title: "Meterflow flow document v1",
    ...z.toJSONSchema(flowDocument, { target: "draft-2020-12", io: "input" }),
  };
}
