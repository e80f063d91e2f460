/** The edited policy against the running one, line by line. */
import { useMemo } from "react";
import { LineDiff } from "../ui/LineDiff.js";
import { lineDiff } from "./diff.js";

export function DiffPanel({ running, draft }: { running: string; draft: string }) {
  const diff = useMemo(() => lineDiff(running, draft), [running, draft]);
  const added = diff.filter((l) => l.kind === "add").length;
  const removed = diff.filter((l) => l.kind === "del").length;
  if (added === 0 && removed === 0)
    return <p className="muted">No changes: the edited policy is the running one.</p>;
  return (
    <div className="diff-panel">
      <p>
        Against the running policy: <span className="diff-add-count">+{added}</span>{" "}
        <span className="diff-del-count">−{removed}</span> lines
      </p>
      <LineDiff
        before={running}
        after={draft}
        label="Changes against the running policy"
        beforeName="Running"
        afterName="Edited"
      />
    </div>
  );
}
