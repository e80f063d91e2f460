// `node --import ./register.mjs <bundle>`: installs hooks.mjs for the bundle named in FAKE_ELECTRON_BUNDLE.
import { register } from "node:module";
import { pathToFileURL } from "node:url";

register("./hooks.mjs", import.meta.url, {
  data: {
    bundle: pathToFileURL(process.env.FAKE_ELECTRON_BUNDLE ?? "").href,
    repo: pathToFileURL(`${process.env.FAKE_ELECTRON_APP_PATH ?? process.cwd()}/`).href,
  },
});
