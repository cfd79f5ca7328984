import type { NodeImplementation } from "../node-implementation";

/**
 * The runner hands each Source node exactly the events whose type (and source, when listed) it
 * binds to, since it must also report events that no source accepts; the node passes them on.
 */
export const sourceEvents: NodeImplementation<"source.events"> = {
  prepare: () => (items) => ({ out: items }),
};
