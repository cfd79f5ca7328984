// Lint, plus the dependency arrows of ../shared/style.md as rules that fail `npm test`.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

const serverOnly = [
  "@meterflow/db",
  "@meterflow/api",
  "drizzle-orm",
  "drizzle-orm/*",
  "postgres",
  "@electric-sql/*",
  "@trpc/server",
  "@trpc/server/*",
  "node:*",
];
const uiOnly = ["react", "react-dom", "react/*", "@xyflow/*", "@tanstack/*", "monaco-editor"];

/** Forbids importing the given packages from files under `files`. */
function forbid(files, patterns, why, { allowTypeImports = false } = {}) {
  return {
    files,
    rules: {
      "@typescript-eslint/no-restricted-imports": [
        "error",
        { patterns: [{ group: patterns, message: why, allowTypeImports }] },
      ],
    },
  };
}

export default tseslint.config(
  { ignores: ["**/dist/**", "**/node_modules/**", "**/.data/**", "e2e/artifacts/**", "**/*.mjs"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
    },
  },
  forbid(
    [
      "packages/flow-spec/src/**/*.ts",
      "packages/canonical/src/**/*.ts",
      "packages/expressions/src/**/*.ts",
      "packages/engine/src/**/*.ts",
    ],
    [...serverOnly, ...uiOnly, "@meterflow/runtime"],
    "Pure packages stay free of React, databases and HTTP (see packages/*/README.md).",
  ),
  // The CLI and tests of pure packages may read files.
  {
    files: ["packages/flow-spec/src/cli.ts", "**/*.test.ts"],
    rules: { "@typescript-eslint/no-restricted-imports": "off" },
  },
  forbid(
    ["packages/db/src/**/*.ts"],
    ["@meterflow/api", "@meterflow/runtime", "@trpc/*", ...uiOnly],
    "db owns the schema; it must not depend on the layers above it.",
  ),
  forbid(
    ["packages/runtime/src/**/*.ts"],
    ["@meterflow/api", "@trpc/*", ...uiOnly],
    "The runtime is the I/O around the engine; the API sits above it.",
  ),
  forbid(["packages/api/src/**/*.ts"], [...uiOnly], "The API composes domain packages; no UI code."),
  forbid(
    ["apps/web/src/**/*.{ts,tsx}"],
    [
      "@meterflow/db",
      "@meterflow/api",
      "@meterflow/runtime",
      "drizzle-orm",
      "drizzle-orm/*",
      "postgres",
      "@electric-sql/*",
      "@trpc/server",
      "node:*",
    ],
    "The web app imports flow-spec, the API's router type (type-only) and itself.",
    { allowTypeImports: true },
  ),
);
