/** Watching one file for edits, the way editors and other processes make them. */
import { watch } from "node:fs";
import { basename, dirname } from "node:path";

/** Stops a watch. */
export type Unwatch = () => void;

/**
 * Calls `onChange` (debounced) when the file at `path` is written, replaced or removed. The folder is
 * watched, because editors save by writing a new file and renaming it over the old one.
 */
export function watchFile(path: string, onChange: () => void, what = path): Unwatch {
  const name = basename(path);
  let timer: NodeJS.Timeout | undefined;
  try {
    const watcher = watch(dirname(path), (_event, file) => {
      if (file !== null && file !== name) return;
      clearTimeout(timer);
      timer = setTimeout(onChange, 50);
    });
    watcher.on("error", (error) => process.emitWarning(`watching ${what} failed: ${error.message}`));
    return () => {
      clearTimeout(timer);
      watcher.close();
    };
  } catch (error) {
    process.emitWarning(`cannot watch ${what}: ${(error as Error).message}`);
    return () => {};
  }
}
