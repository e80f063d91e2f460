/** Component tests of the UI (test/ui) in happy-dom; run from the repo root. */
import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

export default defineConfig({
  plugins: [react()],
  test: {
    include: ["test/ui/**/*.test.{ts,tsx}"],
    environment: "happy-dom",
    testTimeout: 20_000,
  },
});
