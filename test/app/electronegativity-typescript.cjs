// Loaded with `node -r` before electronegativity's CLI, to run it here, offline:
// - electronegativity 1.10 requires @typescript-eslint/typescript-estree 4, which needs TypeScript's
//   JavaScript compiler API. npm hoists typescript-estree next to this repo's TypeScript 7 (the native
//   compiler, which has no such API), so it crashes on load. Point it at the TypeScript 4.2 that
//   electronegativity ships in its own node_modules.
// - It fetches updated message translations from the network on start (with retries: seconds). Tests do
//   not touch the network: that fetch fails at once and the bundled English messages are used.
const Module = require("node:module");
const path = require("node:path");

const electronegativity = path.dirname(require.resolve("@doyensec/electronegativity/package.json"));
const typescript4 = require.resolve("typescript", { paths: [electronegativity] });
const from = (parent, folder) => parent?.filename?.includes(`${path.sep}${folder}${path.sep}`);

const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, parent, ...rest) {
  if (request === "typescript" && from(parent, "@typescript-eslint")) return typescript4;
  return resolve.call(this, request, parent, ...rest);
};

const load = Module._load;
Module._load = function (request, parent, ...rest) {
  if (request === "got" && from(parent, path.join("electronegativity", "dist", "locales"))) {
    return () => Promise.reject(new Error("offline"));
  }
  return load.call(this, request, parent, ...rest);
};

// - Its CSV writer starts two fs.writeFile calls at once (the header, then the rows with flag "a"), so the
//   header sometimes lands on top of the first row. Writes from its util/file.js run synchronously here,
//   in the order they are made.
const fs = require("node:fs");
const writeFile = fs.writeFile;
fs.writeFile = function (...args) {
  const [file, data, options, callback] = args;
  const done = typeof options === "function" ? options : callback;
  const caller = new Error().stack ?? "";
  if (
    !caller.includes(path.join("electronegativity", "dist", "util", "file.js")) ||
    typeof done !== "function"
  ) {
    return writeFile.apply(this, args);
  }
  try {
    fs.writeFileSync(file, data, typeof options === "function" ? undefined : options);
  } catch (error) {
    return process.nextTick(done, error);
  }
  process.nextTick(done, null);
};
