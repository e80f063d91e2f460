/** The approval's headline: what will happen to what ("Stop VM prod-api on virt?"), names revealed. */
import { type HeadlinePart, headlineParts, middleCut } from "../../../shared/approval-text.js";
import type { PendingApproval } from "../../../shared/contract.js";
import { Revealed } from "./Revealed.js";

/** How much of a target's value the headline shows (the arguments below have all of it). */
const TARGET_CHARS = 120;

function Part({ part }: { part: HeadlinePart }) {
  if (part.kind === "words") return <>{part.text}</>;
  if (part.kind === "name") return <Revealed text={part.text} />;
  if (part.value === undefined) return <em className="target-missing">(no {part.argument} given)</em>;
  const value = middleCut(part.value, TARGET_CHARS);
  return (
    <>
      {part.labelled && <span className="target-argument">{part.argument} </span>}
      <strong className="target" title={part.value.length > TARGET_CHARS ? part.value : undefined}>
        <Revealed text={value} />
      </strong>
    </>
  );
}

export function Headline({ approval }: { approval: PendingApproval }) {
  return (
    <>
      {headlineParts(approval).map((part, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: the parts are a fixed split of one headline
        <Part key={i} part={part} />
      ))}
    </>
  );
}
