/** A line diff (longest common subsequence) between the running policy and the edited one. */

/** One line of a diff, with its line numbers in the old and new text. */
export type DiffLine =
  | { kind: "same"; text: string; oldLine: number; newLine: number }
  | { kind: "del"; text: string; oldLine: number }
  | { kind: "add"; text: string; newLine: number };

/** Beyond this many cells the middle is shown as replaced rather than aligned line by line. */
const MAX_CELLS = 4_000_000;

function lines(text: string): string[] {
  if (text === "") return [];
  const out = text.split(/\r?\n/);
  if (out[out.length - 1] === "") out.pop();
  return out;
}

/** The lines of `before` and `after`, each kept, deleted or added. */
export function lineDiff(before: string, after: string): DiffLine[] {
  const a = lines(before);
  const b = lines(after);
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const out: DiffLine[] = [];
  for (let i = 0; i < start; i++)
    out.push({ kind: "same", text: a[i] as string, oldLine: i + 1, newLine: i + 1 });

  const n = endA - start;
  const m = endB - start;
  if (n * m > MAX_CELLS) {
    for (let i = start; i < endA; i++) out.push({ kind: "del", text: a[i] as string, oldLine: i + 1 });
    for (let j = start; j < endB; j++) out.push({ kind: "add", text: b[j] as string, newLine: j + 1 });
  } else {
    // lcs[i][j]: length of the longest common subsequence of a[start+i..endA) and b[start+j..endB).
    const width = m + 1;
    const lcs = new Uint32Array((n + 1) * width);
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        lcs[i * width + j] =
          a[start + i] === b[start + j]
            ? (lcs[(i + 1) * width + j + 1] as number) + 1
            : Math.max(lcs[(i + 1) * width + j] as number, lcs[i * width + j + 1] as number);
      }
    }
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      const ai = start + i;
      const bj = start + j;
      if (i < n && j < m && a[ai] === b[bj]) {
        out.push({ kind: "same", text: a[ai] as string, oldLine: ai + 1, newLine: bj + 1 });
        i++;
        j++;
      } else if (
        i < n &&
        (j === m || (lcs[(i + 1) * width + j] as number) >= (lcs[i * width + j + 1] as number))
      ) {
        out.push({ kind: "del", text: a[ai] as string, oldLine: ai + 1 });
        i++;
      } else {
        out.push({ kind: "add", text: b[bj] as string, newLine: bj + 1 });
        j++;
      }
    }
  }
  for (let k = 0; k < a.length - endA; k++) {
    out.push({ kind: "same", text: a[endA + k] as string, oldLine: endA + k + 1, newLine: endB + k + 1 });
  }
  return out;
}

/** A diff with long unchanged runs folded: `context` lines kept around each change. */
export type DiffHunk = { kind: "lines"; lines: DiffLine[] } | { kind: "fold"; count: number };

export function foldDiff(diff: readonly DiffLine[], context = 3): DiffHunk[] {
  const keep = diff.map(() => false);
  diff.forEach((line, i) => {
    if (line.kind === "same") return;
    for (let k = Math.max(0, i - context); k <= Math.min(diff.length - 1, i + context); k++) keep[k] = true;
  });
  const hunks: DiffHunk[] = [];
  let i = 0;
  while (i < diff.length) {
    if (keep[i]) {
      const run: DiffLine[] = [];
      while (i < diff.length && keep[i]) run.push(diff[i++] as DiffLine);
      hunks.push({ kind: "lines", lines: run });
    } else {
      let count = 0;
      while (i < diff.length && !keep[i]) {
        count++;
        i++;
      }
      hunks.push({ kind: "fold", count });
    }
  }
  return hunks;
}
