/**
 * Builds the React UI into dist/ui (served by `mcp-warden serve` at `/`, loaded by the Electron windows).
 * Paths are relative to the repo root, where `npm run build` runs (renderer/ may not import node:path).
 */
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

export default defineConfig({
  root: "renderer",
  base: "./",
  plugins: [react()],
  build: {
    outDir: "../dist/ui",
    emptyOutDir: true,
    // The CSP allows our own files only: no inline script, no data: modules, no eval.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    // The policy editor's chunk (CodeMirror and the zod schema) is large and loaded on first use.
    chunkSizeWarningLimit: 700,
  },
});
