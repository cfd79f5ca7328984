import { evaluateOn, exceptionItem, type NodeImplementation, type PortOutputs } from "../node-implementation";
import { toTruthy } from "../truthiness";

/** Sends each item to the outputs whose condition holds (the first, or all), else to the default output. */
export const route: NodeImplementation<"route"> = {
  prepare(node, env) {
    const cases = node.config.cases.map((entry) => ({ output: entry.output, condition: env.expression(entry.condition) }));
    return (items) => {
      const outputs: PortOutputs = {};
      const send = (port: string, item: (typeof items)[number]) => (outputs[port] ??= []).push(item);
      for (const item of items) {
        let matched = false;
        for (const entry of cases) {
          const verdict = evaluateOn(entry.condition, item.value);
          if (!verdict.ok) {
            send("__failed", exceptionItem(item, "routing", verdict.reason));
            matched = true;
            break;
          }
          if (toTruthy(verdict.value)) {
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
