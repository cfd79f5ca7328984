import { toBoolean } from "@meterflow/expressions";
import { exceptionItem, type NodeImplementation, type PortOutputs } from "../node-implementation";

/** Sends each item to the outputs whose condition holds (the first, or all), else to the default output. */
export const route: NodeImplementation<"route"> = {
  prepare(node, env) {
    const cases = node.config.cases.map((entry) => ({
      output: entry.output,
      condition: env.expression(entry.condition),
    }));
    return (items) => {
      const outputs: PortOutputs = {};
      const send = (port: string, item: (typeof items)[number]) => (outputs[port] ??= []).push(item);
      for (const item of items) {
        let matched = false;
        for (const entry of cases) {
          let holds: boolean;
          try {
            holds = toBoolean(entry.condition.evaluate(item.value)) ?? false;
          } catch (error) {
            send("__failed", exceptionItem(item, "routing", (error as Error).message));
            matched = true;
            break;
          }
          if (holds) {
            send(entry.output, item);
            matched = true;
            if (node.config.firstMatchOnly) break;
          }
        }
        if (!matched) send(node.config.defaultOutput, item);
      }
      return outputs;
    };
  },
};
