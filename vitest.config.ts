import { defineConfig } from "vitest/config";

/**
 * Tests that load the machine (a browser, a 10,000-call storm, the conformance suite) run after the rest,
 * one file at a time.
 */
const HEAVY = [
  "test/e2e/**/*.test.ts",
  "test/integration/concurrency.test.ts",
  "test/conformance/**/*.test.ts",
];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: "main",
          include: ["test/**/*.test.{ts,tsx}"],
          exclude: HEAVY,
          sequence: { groupOrder: 1 },
        },
      },
      {
        extends: true,
        test: { name: "heavy", include: HEAVY, fileParallelism: false, sequence: { groupOrder: 2 } },
      },
    ],
  },
});
