import type { NodeType } from "@meterflow/flow-spec";
import type { NodeImplementation } from "../node-implementation";
import { aggregate } from "./aggregate";
import { approval } from "./approval";
import { dedupe } from "./dedupe";
import { enrich } from "./enrich";
import { exception } from "./exception";
import { map } from "./map";
import { mask } from "./mask";
import { notify } from "./notify";
import { post } from "./post";
import { rate } from "./rate";
import { route } from "./route";
import { sourceEvents } from "./source-events";
import { validate } from "./validate";

/** Every node type of the catalog has an implementation, or this does not compile. */
export const nodeImplementations = {
  "source.events": sourceEvents,
  validate,
  dedupe,
  enrich,
  map,
  route,
  mask,
  aggregate,
  rate,
  approval,
  post,
  notify,
  exception,
} satisfies { [T in NodeType]: NodeImplementation<T> };
