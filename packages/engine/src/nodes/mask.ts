import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";
import type { NodeImplementation } from "../node-implementation";

/** Hashes, redacts or drops fields before data leaves a region or reaches a system. */
export const mask: NodeImplementation<"mask"> = {
  prepare(node) {
    const fields = node.config.fields.map((field) => ({ path: field.path.split("."), action: field.action }));
    return (items) => ({
      out: items.map((item) => {
        const value = structuredClone(item.value) as Record<string, unknown>;
        for (const field of fields) {
          const parent = field.path
            .slice(0, -1)
            .reduce<unknown>(
              (cursor, key) =>
                cursor && typeof cursor === "object" ? (cursor as Record<string, unknown>)[key] : undefined,
              value,
            );
          const leaf = field.path[field.path.length - 1]!;
          if (!parent || typeof parent !== "object" || !Object.hasOwn(parent, leaf)) continue;
          const record = parent as Record<string, unknown>;
          if (field.action === "drop") delete record[leaf];
          else if (field.action === "redact") record[leaf] = "***";
          else record[leaf] = `sha256:${bytesToHex(sha256(utf8ToBytes(JSON.stringify(record[leaf]))))}`;
        }
        return { ...item, value };
      }),
    });
  },
};
