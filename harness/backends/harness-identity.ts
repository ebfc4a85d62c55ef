// Which harness process made a run, in a form that survives PID reuse, so that `clean` can tell a
// dead run's leftovers from a live run's nodes.
import { readFile, readlink } from 'node:fs/promises';

export interface HarnessIdentity {
  harnessPid: number;
  /** The harness's start time in clock ticks since boot (/proc/PID/stat field 22): PIDs get reused. */
  harnessStart: number;
}

export async function processStartTime(pid: number): Promise<number | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (!stat) return undefined;
  // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[19]);
}

let harness: Promise<HarnessIdentity> | undefined;

/** This process, as leftovers name it; read once, since it never changes. */
export function harnessIdentity(): Promise<HarnessIdentity> {
  harness ??= processStartTime(process.pid).then((start) => ({ harnessPid: process.pid, harnessStart: start! }));
  return harness;
}

/** This process's parent as leftovers name it, read now (undefined if it is already gone). */
export async function parentIdentity(): Promise<HarnessIdentity | undefined> {
  const pid = process.ppid;
  const start = await processStartTime(pid);
  return start === undefined ? undefined : { harnessPid: pid, harnessStart: start };
}

export async function isAlive(identity: HarnessIdentity): Promise<boolean> {
  return (await liveState(identity)) !== undefined;
}

/** The process's state letter (/proc/PID/stat field 3: R, S, D, T for stopped...) while it is this same process and alive. */
export async function liveState(identity: HarnessIdentity): Promise<string | undefined> {
  const stat = await readFile(`/proc/${identity.harnessPid}/stat`, 'utf8').catch(() => undefined);
  if (!stat) return undefined;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // A killed process that nobody has reaped yet (a zombie) keeps its PID and start time but is dead.
  const alive = fields[0] !== 'Z' && fields[0] !== 'X' && Number(fields[19]) === identity.harnessStart;
  return alive ? fields[0] : undefined;
}

let boot: Promise<string> | undefined;

/** This boot of this machine: a start time means nothing on another machine or after a reboot. */
export function bootId(): Promise<string> {
  boot ??= readFile('/proc/sys/kernel/random/boot_id', 'utf8').then((t) => t.trim());
  return boot;
}

let pidNs: Promise<string> | undefined;

/** This process's PID namespace (`pid:[INODE]`): a harness PID is only meaningful inside it. */
export function pidNamespace(): Promise<string> {
  pidNs ??= readlink('/proc/self/ns/pid');
  return pidNs;
}
