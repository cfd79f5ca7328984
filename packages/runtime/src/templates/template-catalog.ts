import { readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import type { ReferenceDataSet } from "@meterflow/db";
import type { FlowDocument } from "@meterflow/flow-spec";
import { checkFlow } from "@meterflow/engine";

export interface FlowTemplate {
  id: string;
  document: FlowDocument;
  /** Sample CloudEvents shipped beside the template (`<id>.events.json`), for test runs. */
  sampleEvents: unknown[];
}

export type TemplateCatalog = readonly FlowTemplate[];

/** Demo reference data shipped beside the templates (`reference-data/demo.json`), if any. */
export function loadDemoReferenceData(folder: string): ReferenceDataSet | undefined {
  try {
    return JSON.parse(readFileSync(join(folder, "reference-data", "demo.json"), "utf8")) as ReferenceDataSet;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new Error(
      `Demo reference data in ${folder}/reference-data/demo.json is not valid JSON: ${(error as Error).message}`,
    );
  }
}

/**
 * Reads every `<id>.json` flow document in a folder. A template that does not validate stops
 * the load with the file name and its first problem: shipping a broken template is a bug.
 */
export function loadTemplateCatalog(folder: string): TemplateCatalog {
  const files = readdirSync(folder)
    .filter((file) => file.endsWith(".json") && !file.endsWith(".events.json"))
    .sort();
  return files.map((file) => {
    const id = basename(file, ".json");
    const path = join(folder, file);
    let document: FlowDocument;
    try {
      document = checkFlow(JSON.parse(readFileSync(path, "utf8"))).document;
    } catch (error) {
      throw new Error(`Template ${path} is not a valid flow: ${(error as Error).message}`);
    }
    let sampleEvents: unknown[] = [];
    try {
      sampleEvents = JSON.parse(readFileSync(join(folder, `${id}.events.json`), "utf8")) as unknown[];
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT")
        throw new Error(`Sample events of template ${id} are not valid JSON: ${(error as Error).message}`);
    }
    return { id, document, sampleEvents };
  });
}
