/** The audit log's disk warning, as the UI shows it: from the log's use of its bound and the disk's free space. */
import type { AuditDiskState } from "../../../shared/contract.js";
import { type DiskUsage, formatBytes } from "./store.js";

/** The state for `usage`: the most pressing warning (full, then low disk, then near the bound), if any. */
export function auditDiskState(usage: DiskUsage, where: string): AuditDiskState {
  const base: AuditDiskState = {
    bytes: usage.bytes,
    limit: usage.limit,
    ...(usage.freeBytes !== undefined ? { freeBytes: usage.freeBytes } : {}),
  };
  const used = `${formatBytes(usage.bytes)} of its ${formatBytes(usage.limit)} bound`;
  const room = `move old audit files out of ${where} or raise the bound (settings.json audit.maxMB)`;
  if (usage.full)
    return {
      ...base,
      warning: "full",
      message: `The audit log is full (${used}): new calls are refused until you ${room}.`,
    };
  if (usage.lowDisk)
    return {
      ...base,
      warning: "low-disk",
      message:
        `The audit log's disk has ${formatBytes(usage.freeBytes ?? 0)} free, less than ` +
        `${formatBytes(usage.minFreeBytes)}: when it fills up, new calls are refused. Free space on it, or ` +
        `move the data folder to a larger disk.`,
    };
  if (usage.nearFull)
    return {
      ...base,
      warning: "near-bound",
      message:
        `The audit log uses ${used} (${Math.floor((usage.bytes / usage.limit) * 100)} %): at the bound new ` +
        `calls are refused. Before then, ${room}.`,
    };
  return base;
}
