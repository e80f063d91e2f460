/**
 * Verifies an audit log: walks every file in order (rotated ones oldest first, then the active one),
 * checks each line's link to the one before and its sequence number, each checkpoint's signature, the links
 * between files, and the end of the log against the signed head file, and reports each edit, deletion,
 * insertion, reordering and truncation with its place (file, line, seq).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { chainFields, checkpointText, claimsChain, GENESIS, lineHash, macMatches } from "./chain.js";
import { type AuditPaths, auditPaths, listSegments, plainName, readSigned } from "./files.js";
import { linesForward } from "./lines.js";

/** What kind of damage a problem is. */
export type ProblemKind =
  | "edited"
  | "deleted"
  | "inserted"
  | "reordered"
  | "truncated"
  | "unreadable"
  | "forged"
  | "missing-file"
  | "unverifiable";

/** Where a line is. */
export interface LinePlace {
  file: string;
  line: number;
  seq?: number;
}

/** One thing wrong with the log. */
export interface AuditProblem {
  kind: ProblemKind;
  place?: LinePlace;
  message: string;
}

/** One file walked. */
export interface FileSummary {
  name: string;
  lines: number;
  firstSeq?: number;
  lastSeq?: number;
}

/** What verifying found. */
export interface VerifyReport {
  ok: boolean;
  files: FileSummary[];
  /** Non-empty lines read. */
  records: number;
  /** Lines written before chaining (accepted, not protected). */
  unchained: number;
  firstSeq?: number;
  lastSeq?: number;
  /** The newest line covered by a valid signed checkpoint. */
  signedThrough?: number;
  problems: AuditProblem[];
  notes: string[];
}

/** What to verify: a whole log (its active file and every rotated file), or one file alone. */
export type VerifyTarget = { active: string } | { file: string };

/** Shown at most; the count says how many more there were. */
const MAX_PROBLEMS = 200;

/** A place as text: "audit.jsonl line 14 (seq 13)". */
export function placeText(place: LinePlace): string {
  return `${place.file} line ${place.line}${place.seq !== undefined ? ` (seq ${place.seq})` : ""}`;
}

/** Only regular files are read: a device in the log's place (/dev/full) would never end. */
function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function readKey(path: string): Buffer | undefined {
  try {
    const hex = readFileSync(path, "utf8").trim();
    return /^[0-9a-f]{64}$/.test(hex) ? Buffer.from(hex, "hex") : undefined;
  } catch {
    return undefined;
  }
}

/** The paths of the log a single file belongs to (its key sits beside it). */
function pathsOfFile(file: string): AuditPaths {
  const name = basename(file);
  const m = /^(.*)\.\d{12,}\.\d+-\d+\.jsonl(\.gz)?$/.exec(name);
  return auditPaths(join(dirname(file), m?.[1] ? `${m[1]}.jsonl` : name));
}

interface Signed {
  seq: number;
  hash: string;
  ts?: number;
}

function signedPosition(path: string, key: Buffer, purpose: string): Signed | "forged" | undefined {
  const body = readSigned(path, key, purpose);
  if (body === undefined || body === "forged") return body;
  try {
    const value = JSON.parse(body) as { seq?: unknown; hash?: unknown; ts?: unknown };
    if (typeof value.seq !== "number" || typeof value.hash !== "string") return undefined;
    return { seq: value.seq, hash: value.hash, ...(typeof value.ts === "number" ? { ts: value.ts } : {}) };
  } catch {
    return undefined;
  }
}

interface Gap {
  from: number;
  to: number;
  after: LinePlace | undefined;
  before: LinePlace;
}

interface Seen {
  seq: number;
  place: LinePlace;
  hash: string;
}

/** Verifies a log or one file; never throws for what it finds, only for a file it cannot read at all. */
export async function verifyAudit(target: VerifyTarget): Promise<VerifyReport> {
  const whole = "active" in target;
  const paths = whole ? auditPaths(target.active) : pathsOfFile(target.file);
  const key = readKey(paths.key);
  const report: VerifyReport = { ok: true, files: [], records: 0, unchained: 0, problems: [], notes: [] };
  let hidden = 0;
  const problem = (kind: ProblemKind, message: string, place?: LinePlace) => {
    if (report.problems.length >= MAX_PROBLEMS) {
      hidden++;
      return;
    }
    report.problems.push({ kind, message, ...(place ? { place } : {}) });
  };

  const files: { name: string; path: string; compressed: boolean }[] = whole
    ? [
        ...listSegments(paths).map((s) => ({ name: s.name, path: s.path, compressed: s.compressed })),
        ...(isFile(paths.active)
          ? [{ name: basename(paths.active), path: paths.active, compressed: false }]
          : []),
      ]
    : [{ name: basename(target.file), path: target.file, compressed: target.file.endsWith(".gz") }];
  if (!whole && !isFile(target.file)) throw new Error(`not a regular file: ${target.file}`);

  const head = whole && key ? signedPosition(paths.head, key, "head") : undefined;
  const snapshot = whole && key ? signedPosition(paths.snapshot, key, "snapshot") : undefined;
  if (head === "forged") problem("forged", `${basename(paths.head)} is not signed by this log's key`);
  if (snapshot === "forged") problem("forged", `${basename(paths.snapshot)} is not signed by this log's key`);
  const anchors = [
    ...(head && head !== "forged" ? [{ name: basename(paths.head), at: head, found: false }] : []),
    ...(snapshot && snapshot !== "forged"
      ? [{ name: basename(paths.snapshot), at: snapshot, found: false }]
      : []),
  ];

  let prevHash: string | undefined;
  let altHash: string | undefined;
  let lastSeq: number | undefined;
  let lastPlace: LinePlace | undefined;
  let chained = false;
  let firstChained: { place: LinePlace; prev: string; seq: number; previousFile?: string } | undefined;
  let checkpoints = 0;
  let unverifiedCheckpoints = 0;
  let unreadableLegacy = 0;
  const gaps: Gap[] = [];
  const recent: Seen[] = [];
  /** A seq seen twice: which copy was inserted shows at the next line (the one it links to stays). */
  let pendingDuplicate:
    | { seq: number; earlier: Seen | undefined; later: Seen; before: string | undefined }
    | undefined;
  const retained = new Set<string>();
  let retainedThrough = 0;
  const missingFiles: { name: string; place: LinePlace }[] = [];

  for (let f = 0; f < files.length; f++) {
    const file = files[f] as (typeof files)[number];
    const summary: FileSummary = { name: file.name, lines: 0 };
    report.files.push(summary);
    let lineNo = 0;
    let firstInFile = true;
    for await (const line of linesForward(file.path, file.compressed)) {
      lineNo++;
      summary.lines = lineNo;
      if (!line.bytes.length) {
        if (chained) problem("inserted", "an empty line was added", { file: file.name, line: lineNo });
        continue;
      }
      report.records++;
      const place: LinePlace = { file: file.name, line: lineNo };
      if (!line.terminated) {
        problem(
          "truncated",
          `the last line is incomplete (${line.bytes.length} bytes without a newline): a write was cut short; the warden cuts it off on its next start and keeps the bytes in ${paths.base}.torn-…`,
          place,
        );
        break;
      }
      const hash = lineHash(line.bytes);
      let entry: unknown;
      try {
        entry = JSON.parse(line.bytes.toString("utf8"));
      } catch {
        entry = undefined;
      }
      if (entry === undefined) {
        if (chained) problem("unreadable", "the line is not JSON (damaged or edited)", place);
        else {
          report.unchained++;
          unreadableLegacy++;
        }
        altHash = undefined;
        prevHash = hash;
        lastPlace = place;
        firstInFile = false;
        continue;
      }
      const fields = chainFields(entry);
      if (!fields) {
        if (claimsChain(entry)) problem("edited", "the line's seq or prev field is malformed", place);
        else if (chained) problem("inserted", "the line has no chain fields, after chaining began", place);
        else {
          report.unchained++;
          prevHash = hash;
          lastPlace = place;
        }
        firstInFile = false;
        continue;
      }
      place.seq = fields.seq;
      summary.firstSeq ??= fields.seq;
      summary.lastSeq = fields.seq;
      const body = entry as {
        t?: unknown;
        ts?: unknown;
        mac?: unknown;
        previous?: unknown;
        removed?: unknown;
        throughSeq?: unknown;
      };

      if (pendingDuplicate) {
        const { earlier, later, seq, before } = pendingDuplicate;
        const inserted =
          fields.prev === later.hash
            ? earlier
            : fields.prev === earlier?.hash || fields.prev === before
              ? later
              : undefined;
        problem(
          "inserted",
          inserted
            ? `seq ${seq} appears twice; the chain goes on from the other one, so this one was inserted`
            : `seq ${seq} appears twice${earlier ? ` (also ${placeText(earlier.place)})` : ""}: one of them was inserted`,
          inserted?.place ?? later.place,
        );
        pendingDuplicate = undefined;
      }

      const linked = prevHash === undefined ? undefined : fields.prev === prevHash || fields.prev === altHash;
      let anomaly = false;
      if (!chained) {
        chained = true;
        firstChained = {
          place,
          prev: fields.prev,
          seq: fields.seq,
          ...(firstInFile && body.t === "segment" && typeof body.previous === "string"
            ? { previousFile: body.previous }
            : {}),
        };
        if (prevHash !== undefined && !linked)
          problem("edited", "the line before does not hash to what this line records", lastPlace ?? place);
        lastSeq = fields.seq;
      } else {
        const expected = (lastSeq ?? 0) + 1;
        if (fields.seq === expected) {
          if (linked === false && lastPlace)
            problem(
              "edited",
              `the line was changed: its hash is not what ${placeText(place)} records`,
              lastPlace,
            );
          lastSeq = fields.seq;
        } else if (linked) {
          // The link proves this line follows the one before: its own seq is what was changed.
          problem("edited", `the line's seq is ${fields.seq} where ${expected} was expected`, place);
          anomaly = true;
          lastSeq = expected;
        } else if (fields.seq > expected) {
          gaps.push({ from: expected, to: fields.seq - 1, after: lastPlace, before: place });
          lastSeq = fields.seq;
        } else {
          anomaly = true;
          const gap = gaps.find((g) => g.from <= fields.seq && fields.seq <= g.to);
          if (gap) {
            problem("reordered", `the line comes after seq ${lastSeq}; it belongs before it`, place);
            if (gap.from === gap.to) gaps.splice(gaps.indexOf(gap), 1);
            else if (fields.seq === gap.from) gap.from++;
            else if (fields.seq === gap.to) gap.to--;
            else {
              gaps.push({ ...gap, from: fields.seq + 1 });
              gap.to = fields.seq - 1;
            }
          } else {
            const earlier = recent.find((r) => r.seq === fields.seq);
            pendingDuplicate = {
              seq: fields.seq,
              earlier,
              later: { seq: fields.seq, place, hash },
              before: prevHash,
            };
          }
        }
      }

      if (firstInFile && f > 0 && whole) {
        const previous = files[f - 1]?.name;
        if (body.t !== "segment" || typeof body.previous !== "string")
          problem("inserted", "a rotated file's first line should link to the file before it", place);
        else if (previous && plainName(body.previous) !== plainName(previous))
          missingFiles.push({ name: body.previous, place });
      } else if (
        firstInFile &&
        f === 0 &&
        body.t === "segment" &&
        typeof body.previous === "string" &&
        whole
      ) {
        missingFiles.push({ name: body.previous, place });
      }

      if (body.t === "checkpoint") {
        checkpoints++;
        if (!key) unverifiedCheckpoints++;
        else if (
          typeof body.ts === "number" &&
          macMatches(key, "checkpoint", checkpointText(fields.seq, fields.prev, body.ts), body.mac)
        ) {
          if (!anomaly) report.signedThrough = fields.seq;
        } else
          problem(
            "forged",
            "this checkpoint does not carry this log's signature (forged, edited, or signed with another key)",
            place,
          );
      } else if (body.t === "retention" && Array.isArray(body.removed)) {
        for (const name of body.removed) if (typeof name === "string") retained.add(plainName(name));
        if (typeof body.throughSeq === "number") retainedThrough = Math.max(retainedThrough, body.throughSeq);
      }
      for (const anchor of anchors) {
        if (anchor.at.seq === fields.seq) {
          anchor.found = true;
          if (anchor.at.hash !== hash)
            problem(
              "edited",
              `the line is not the one ${anchor.name} (signed) records for seq ${fields.seq}`,
              place,
            );
        }
      }
      recent.push({ seq: fields.seq, place, hash });
      if (recent.length > 64) recent.shift();
      altHash = anomaly ? prevHash : undefined;
      prevHash = hash;
      lastPlace = place;
      firstInFile = false;
      report.firstSeq ??= fields.seq;
      report.lastSeq = Math.max(report.lastSeq ?? 0, fields.seq);
    }
  }
  if (pendingDuplicate) {
    const { seq, earlier, later } = pendingDuplicate;
    problem(
      "inserted",
      `seq ${seq} appears twice${earlier ? ` (also ${placeText(earlier.place)})` : ""}: one of them was inserted`,
      later.place,
    );
  }

  // Where history starts: the first ever line links to nothing; a later start must be explained.
  if (firstChained && firstChained.prev !== GENESIS && report.unchained === 0) {
    const explained =
      whole &&
      retainedThrough >= firstChained.seq - 1 &&
      (firstChained.previousFile === undefined || retained.has(plainName(firstChained.previousFile)));
    if (!whole)
      report.notes.push(
        `this file starts at seq ${firstChained.seq}, continuing an earlier file (not checked here)`,
      );
    else if (explained)
      report.notes.push(
        `records through seq ${retainedThrough} were removed by retention, as the log records`,
      );
    else
      problem(
        "deleted",
        `the log starts at seq ${firstChained.seq}: the records before it are missing, and no retention record says they were removed`,
        firstChained.place,
      );
  } else if (firstChained && firstChained.prev === GENESIS && firstChained.seq !== 1) {
    problem("deleted", `the log starts at seq ${firstChained.seq} instead of 1`, firstChained.place);
  }
  for (const missing of missingFiles) {
    if (retained.has(plainName(missing.name))) continue;
    problem(
      "missing-file",
      `${missing.name}, which this file continues, is missing (and no retention record removed it)`,
      missing.place,
    );
  }
  for (const gap of gaps) {
    const range = gap.from === gap.to ? `seq ${gap.from} is` : `seq ${gap.from}–${gap.to} are`;
    problem(
      "deleted",
      `${range} missing${gap.after ? ` between ${placeText(gap.after)} and` : " before"} ${placeText(gap.before)}`,
      gap.before,
    );
  }
  // The signed files name the last line written; the furthest one missing is the truncation.
  const beyond = anchors
    .filter((a) => !a.found && a.at.seq > (report.lastSeq ?? 0))
    .sort((a, b) => b.at.seq - a.at.seq)
    .slice(0, 1);
  for (const anchor of [...beyond, ...anchors.filter((a) => !a.found && a.at.seq <= (report.lastSeq ?? 0))]) {
    if (anchor.at.seq > (report.lastSeq ?? 0))
      problem(
        "truncated",
        `the log ends at ${lastPlace ? placeText(lastPlace) : `seq ${report.lastSeq ?? 0}`}, but seq ${anchor.at.seq} was written (${anchor.name}, signed${anchor.at.ts ? ` at ${new Date(anchor.at.ts).toISOString()}` : ""})`,
      );
    else if (anchor.at.seq > 0)
      problem("deleted", `seq ${anchor.at.seq}, which ${anchor.name} (signed) records, is not in the log`);
  }
  if (whole && !key && checkpoints > 0)
    problem(
      "unverifiable",
      `the key ${basename(paths.key)} is missing, so ${checkpoints} checkpoints cannot be checked`,
    );
  else if (!key && checkpoints > 0)
    report.notes.push(
      `no key beside the file (${basename(paths.key)}): ${unverifiedCheckpoints} checkpoints not checked`,
    );
  if (report.unchained)
    report.notes.push(
      `${report.unchained} lines were written before chaining (accepted, not protected)${unreadableLegacy ? `, ${unreadableLegacy} of them unreadable` : ""}`,
    );
  if (report.lastSeq !== undefined && (report.signedThrough ?? 0) < report.lastSeq)
    report.notes.push(
      `${report.lastSeq - (report.signedThrough ?? 0)} lines after seq ${report.signedThrough ?? 0} are chained but not yet under a signed checkpoint (written since the last one; the warden signs on rotation and on close)`,
    );
  if (whole) {
    const torn = readdirSync(paths.dir).filter((n) => n.startsWith(`${paths.base}.torn-`));
    if (torn.length)
      report.notes.push(
        `${torn.length} torn records were cut off on start and kept aside: ${torn.join(", ")}`,
      );
  }
  if (hidden) report.notes.push(`${hidden} more problems not listed`);
  report.ok = report.problems.length === 0 && hidden === 0;
  return report;
}
