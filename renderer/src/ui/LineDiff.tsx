/** A line diff as a table: line numbers on both sides, changes marked, unchanged runs folded. */
import { useMemo } from "react";
import { foldDiff, lineDiff } from "../policy/diff.js";

const MARK = { add: "+ ", del: "- ", same: "  " } as const;
const SPOKEN = { add: "added: ", del: "removed: ", same: "" } as const;

interface Props {
  before: string;
  after: string;
  /** What the table shows, for assistive technology. */
  label: string;
  beforeName: string;
  afterName: string;
}

export function LineDiff({ before, after, label, beforeName, afterName }: Props) {
  const hunks = useMemo(() => foldDiff(lineDiff(before, after)), [before, after]);
  return (
    <div className="diff">
      <table>
        <caption className="visually-hidden">{label}</caption>
        <thead className="visually-hidden">
          <tr>
            <th scope="col">{beforeName} line</th>
            <th scope="col">{afterName} line</th>
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
  );
}
