import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

export default defineConfig({
  plugins: [react()],
  build: { outDir: "dist", sourcemap: true, chunkSizeWarningLimit: 1500 },
  server: { proxy: { "/trpc": "http://127.0.0.1:3000", "/healthz": "http://127.0.0.1:3000" } },
});
