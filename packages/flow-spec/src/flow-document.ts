import { z } from "zod";
import { nodeId, portName, versionedRef } from "./field-schemas";
import { nodeTypeSpec, nodeTypes, type NodeType } from "./node-types";

export const FLOW_API_VERSION = "meterflow.dev/flow/v1";

export const position = z.object({ x: z.number().finite(), y: z.number().finite() });

export const flowMetadata = z.object({
  name: z.string().trim().min(1, "The flow needs a name").max(120, "Flow names are at most 120 characters"),
  description: z.string().max(4000).default(""),
  owner: z.string().trim().min(1, "Name the flow's owner (a person or team)"),
  tags: z.array(z.string().trim().min(1).max(40)).max(20).default([]),
});

export const flowReferences = z.object({
  eventSchemas: z.array(versionedRef).default([]),
  canonicalTypes: z.array(versionedRef).default([]),
  endpoints: z.array(versionedRef).default([]),
});

export const portRef = z.object({ node: nodeId, port: portName });

export const flowEdge = z.object({
  id: z.string().min(1).max(128),
  source: portRef,
  target: portRef,
});

function nodeSchemaFor<T extends NodeType>(type: T) {
  return z.object({
    id: nodeId,
    type: z.literal(type),
    name: z.string().max(120).optional(),
    position,
    config: nodeTypeSpec(type).config,
  });
}

const nodeVariants = nodeTypes.map((type) => nodeSchemaFor(type)) as unknown as [
  ReturnType<typeof nodeSchemaFor<"source.events">>,
  ...{ [T in NodeType]: ReturnType<typeof nodeSchemaFor<T>> }[NodeType][],
];

/** A node: its `type` selects its typed `config`. */
export const flowNode = z.discriminatedUnion("type", nodeVariants);

export const flowDocument = z.object({
  apiVersion: z.literal(FLOW_API_VERSION),
  metadata: flowMetadata,
  references: flowReferences.default({ eventSchemas: [], canonicalTypes: [], endpoints: [] }),
  nodes: z.array(flowNode),
  edges: z.array(flowEdge),
});

export type FlowDocument = z.infer<typeof flowDocument>;
/** The document as authored, before defaults are applied. */
export type FlowDocumentInput = z.input<typeof flowDocument>;
export type FlowNode = z.infer<typeof flowNode>;
export type FlowEdge = z.infer<typeof flowEdge>;
export type FlowNodeOf<T extends NodeType> = Extract<FlowNode, { type: T }>;

/**
 * The envelope with nodes loosely typed, so validation can still report graph problems
 * (dangling edges, cycles) when some node's config is wrong or its type unknown.
 */
export const looseFlowDocument = z.object({
  apiVersion: z.literal(FLOW_API_VERSION, { error: `apiVersion must be "${FLOW_API_VERSION}"` }),
  metadata: flowMetadata,
  references: flowReferences.default({ eventSchemas: [], canonicalTypes: [], endpoints: [] }),
  nodes: z.array(
    z.object({
      id: nodeId,
      type: z.string().min(1, "Node type is missing"),
      name: z.string().max(120).optional(),
      position,
      config: z.unknown().optional(),
    }),
  ),
  edges: z.array(flowEdge),
});
