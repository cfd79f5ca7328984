// Bundles the CLI so `npx meterflow` runs on plain Node without a TypeScript loader.
import { build } from "esbuild";

await build({
  entryPoints: [new URL("../src/cli.ts", import.meta.url).pathname],
  outfile: new URL("../dist/cli.mjs", import.meta.url).pathname,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  logLevel: "warning",
});
