/** The edited policy against the running one, line by line, unchanged runs folded. */
import { useMemo } from "react";
import { foldDiff, lineDiff } from "./diff.js";

const MARK = { add: "+ ", del: "- ", same: "  " } as const;
const SPOKEN = { add: "added: ", del: "removed: ", same: "" } as const;

export function DiffPanel({ running, draft }: { running: string; draft: string }) {
  const diff = useMemo(() => lineDiff(running, draft), [running, draft]);
  const hunks = useMemo(() => foldDiff(diff), [diff]);
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
      <div className="diff">
        <table>
          <caption className="visually-hidden">Changes against the running policy</caption>
          <thead className="visually-hidden">
            <tr>
              <th scope="col">Running line</th>
              <th scope="col">Edited line</th>
              <th scope="col">Text</th>
            </tr>
          </thead>
          <tbody>
            {hunks.map((hunk, h) =>
              hunk.kind === "fold" ? (
                // biome-ignore lint/suspicious/noArrayIndexKey: hunks are positional
                <tr key={h} className="diff-fold">
                  <td colSpan={3}>⋯ {hunk.count} unchanged lines</td>
                </tr>
              ) : (
                hunk.lines.map((line) => (
                  <tr
                    key={`${line.kind}-${"oldLine" in line ? line.oldLine : ""}-${"newLine" in line ? line.newLine : ""}`}
                    className={`diff-line diff-${line.kind}`}
                  >
                    <td className="diff-num">{"oldLine" in line ? line.oldLine : ""}</td>
                    <td className="diff-num">{"newLine" in line ? line.newLine : ""}</td>
                    <td className="diff-text">
                      <span className="visually-hidden">{SPOKEN[line.kind]}</span>
                      <span aria-hidden="true">{MARK[line.kind]}</span>
                      {line.text}
                    </td>
                  </tr>
                ))
              ),
            )}
          </tbody>
        </table>
      </div>
    </div>
  );
}
