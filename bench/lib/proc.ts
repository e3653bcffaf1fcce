import { execFileSync } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';

/**
 * Linux /proc readers: a process's CPU time (`/proc/<pid>/stat`, proc(5)), its resident memory
 * (`/proc/<pid>/status`), its CPU affinity, and per-core busy time (`/proc/stat`).
 */

/** Clock ticks per second (`getconf CLK_TCK`); the unit of utime and stime in /proc/<pid>/stat. */
export const CLOCK_TICKS_PER_SECOND: number = readClockTicks();

function readClockTicks(): number {
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isFinite(n) && n > 0 ? n : 100;
  } catch {
    return 100;
  }
}

/**
 * CPU time (user + system, all threads) the process has used so far, in microseconds. The tick
 * resolution is 1/CLK_TCK (10 ms at 100 Hz), so measure over seconds, not milliseconds.
 */
export function readCpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Field 2 (comm) is in parentheses and may contain spaces; fields 3.. follow the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[14 - 3]);
  const stime = Number(fields[15 - 3]);
  return ((utime + stime) * 1_000_000) / CLOCK_TICKS_PER_SECOND;
}

export interface Memory {
  /** Resident set size now (VmRSS), its peak (VmHWM), and the part of it that is mapped files (the node binary). */
  rssBytes: number;
  peakRssBytes: number;
  fileRssBytes: number;
}

export function readMemory(pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => statusKb(status, key) * 1024;
  return { rssBytes: kb('VmRSS'), peakRssBytes: kb('VmHWM'), fileRssBytes: kb('RssFile') };
}

/** The CPUs a process may run on, as the kernel prints it (`0`, `1`, `0-1`). */
export function readAffinity(pid: number): string {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return /^Cpus_allowed_list:\s*(.+)$/m.exec(status)?.[1]?.trim() ?? '?';
}

/** The executable a process runs (`/proc/<pid>/exe`), to check we watch the right pid. */
export function readExecutable(pid: number): string {
  return readlinkSync(`/proc/${pid}/exe`);
}

function statusKb(status: string, key: string): number {
  const match = new RegExp(`^${key}:\\s*(\\d+) kB$`, 'm').exec(status);
  return match ? Number(match[1]) : 0;
}

/** Busy and total ticks per core from /proc/stat, to tell how loaded each core was during a run. */
export function readCoreTicks(): { busy: number; total: number }[] {
  const cores: { busy: number; total: number }[] = [];
  for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
    const match = /^cpu(\d+) (.*)$/.exec(line);
    if (!match) continue;
    // user nice system idle iowait irq softirq steal ...; idle and iowait are not busy.
    const values = match[2]!.trim().split(/\s+/).map(Number);
    const total = values.slice(0, 8).reduce((a, b) => a + b, 0);
    const idle = (values[3] ?? 0) + (values[4] ?? 0);
    cores[Number(match[1])] = { busy: total - idle, total };
  }
  return cores;
}

/** Percentage busy per core between two readCoreTicks() snapshots. */
export function coreBusyPercent(
  before: { busy: number; total: number }[],
  after: { busy: number; total: number }[],
): number[] {
  return after.map((a, i) => {
    const b = before[i] ?? { busy: 0, total: 0 };
    const total = a.total - b.total;
    return total > 0 ? Math.round((1000 * (a.busy - b.busy)) / total) / 10 : 0;
  });
}
