// Module hooks for running the bundled main process under plain Node: "electron" resolves to the
// recording stand-in beside this file, and bare imports from the bundle (which is built into a temporary
// folder) resolve from the repository, where node_modules is.
const fake = new URL("./electron.mjs", import.meta.url).href;
let bundle = "";
let repo = "";

export function initialize(data) {
  bundle = data.bundle;
  repo = data.repo;
}

export async function resolve(specifier, context, next) {
  if (specifier === "electron") return { url: fake, shortCircuit: true };
  const bare = !specifier.startsWith(".") && !specifier.startsWith("/") && !specifier.includes(":");
  if (bare && context.parentURL === bundle) return next(specifier, { ...context, parentURL: repo });
  return next(specifier, context);
}
