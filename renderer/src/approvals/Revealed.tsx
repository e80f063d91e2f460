/** Text with disguising characters shown as escape badges (see reveal.ts). */
import { useMemo } from "react";
import { revealUnicode, type Segment } from "./reveal.js";

export function RevealedSegments({ segments }: { segments: readonly Segment[] }) {
  return (
    <>
      {segments.map((s, i) =>
        s.kind === "text" ? (
          // biome-ignore lint/suspicious/noArrayIndexKey: segments are a fixed split of one text
          <span key={i}>{s.text}</span>
        ) : (
          // biome-ignore lint/suspicious/noArrayIndexKey: segments are a fixed split of one text
          <abbr key={i} className={`reveal reveal-${s.kind}`} title={s.label} aria-label={s.label}>
            {s.escape}
          </abbr>
        ),
      )}
    </>
  );
}

/** A short string (a tool or server name) with its disguising characters revealed. */
export function Revealed({ text }: { text: string }) {
  const segments = useMemo(() => revealUnicode(text), [text]);
  return <RevealedSegments segments={segments} />;
}
