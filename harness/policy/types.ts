// What the policy answers about an argument vector. Pure.

export interface ArgvProblem {
  /** Index in argv of the argument at fault. */
  index: number;
  message: string;
  /** For a line of a batch's input (1-based): the problem is in that line, not in argv. */
  line?: number;
}

export const ALLOWED_PROGRAMS = ['ip', 'bridge', 'ping', 'tcpdump', 'sysctl', 'tc'] as const;
export type AllowedProgram = (typeof ALLOWED_PROGRAMS)[number];

/** What the policy learned while reading an allowed command: enough for compile.ts and the tutorial reader. */
export interface CommandFacts {
  program: AllowedProgram;
  /** ip, bridge, tc: the object and verb, by their full names as the program resolves them (`ip a` → address). */
  object?: string;
  verb?: string;
  /** Index in argv of the object word; 1 when the command has no global options. */
  objectIndex?: number;
  /** `ip -n NS ...` / `bridge -n NS ...`: the guest namespace the whole command runs in. */
  globalNetns?: string;
  /** `ip netns exec NS CMD`: what runs inside. */
  nested?: CommandFacts;
  /** Makes, enters, or moves things into a guest namespace (`ip netns ...`, `-n NS`, `netns NS`). */
  usesGuestNamespace: boolean;
  /** sysctl: writes a key (`-w`, or `key=value`). */
  writesSysctl: boolean;
  /** ip link add: the interfaces created in this namespace (not moved away by `netns`). */
  createdInterfaces: string[];
  /**
   * tc: the words before the kind that say where it goes, as tc reads them (`dev X`, `block N`,
   * `ingress_block N`...), by their full names; a `dev` after the kind is an action's, not this.
   */
  tcTarget?: { keyword: string; index: number; value: string | undefined }[];
}

export type Reading = { facts: CommandFacts; problem?: undefined } | { problem: ArgvProblem; facts?: undefined };

export const refuse = (index: number, message: string): Reading => ({ problem: { index, message } });
