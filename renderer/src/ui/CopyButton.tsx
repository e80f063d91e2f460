/** A button that copies text to the clipboard and says whether it worked. */
import { useEffect, useState } from "react";

export function CopyButton({ text, label }: { text: string; label: string }) {
  const [done, setDone] = useState<"" | "copied" | "failed">("");
  useEffect(() => {
    if (!done) return;
    const timer = setTimeout(() => setDone(""), 2_000);
    return () => clearTimeout(timer);
  }, [done]);
  const copy = () => {
    const clipboard = navigator.clipboard;
    if (!clipboard) {
      setDone("failed");
      return;
    }
    clipboard.writeText(text).then(
      () => setDone("copied"),
      () => setDone("failed"),
    );
  };
  return (
    <button type="button" className="button small" onClick={copy} aria-label={label}>
      {done === "copied" ? "Copied" : done === "failed" ? "Copy failed: select the text" : "Copy"}
      <span className="visually-hidden" aria-live="polite">
        {done === "copied" ? "Copied to the clipboard" : ""}
      </span>
    </button>
  );
}
