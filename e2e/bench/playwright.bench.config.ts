import { defineConfig } from "@playwright/test";
import base from "../playwright.config";

/** Benchmarks: the same browser and server as the e2e tests; they print JSON and assert no timings. */
export default defineConfig({
  ...base,
  testDir: ".",
  testMatch: "*.bench.ts",
  globalSetup: "../global-setup.ts",
  retries: 0,
  timeout: 180_000,
  outputDir: "../artifacts/bench",
});
