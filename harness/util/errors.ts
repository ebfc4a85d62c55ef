// Error types that carry enough context to be reported without a stack trace.
// Only the CLI maps them to exit codes.

export interface ValidationIssue {
  file: string;
  line?: number;
  col?: number;
  /** Where in the document, e.g. `steps[0].run[1]`; empty for the whole file. */
  path: string;
  message: string;
}

export function formatIssue(issue: ValidationIssue): string {
  const where = issue.line === undefined ? issue.file : `${issue.file}:${issue.line}:${issue.col ?? 1}`;
  return issue.path ? `${where}: ${issue.path} ${issue.message}` : `${where}: ${issue.message}`;
}

/** A scenario or lab file is not valid. Nothing was built. */
export class ValidationError extends Error {
  override readonly name = 'ValidationError';
  constructor(readonly issues: ValidationIssue[]) {
    super(issues.map(formatIssue).join('\n'));
  }
}

/** The command line itself is wrong (unknown scenario, bad option). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Something the run needs is missing from this machine. */
export class PrerequisiteError extends Error {
  override readonly name = 'PrerequisiteError';
  constructor(
    readonly missing: string,
    readonly fix: string,
  ) {
    super(`${missing}; ${fix}`);
  }
}

export interface CommandFailure {
  node: string;
  /** Human description of where the command came from, e.g. `step 2 command 1`. */
  origin: string;
  command: string;
  exitCode: number | undefined;
  /** It was stopped because it ran past its deadline. */
  timedOut?: boolean;
  stdout: string;
  stderr: string;
}

/** A command that builds the lab failed: the lab is broken, not a check. */
export class CommandFailedError extends Error {
  override readonly name = 'CommandFailedError';
  constructor(
    readonly what: string,
    readonly failure: CommandFailure,
  ) {
    const out = [failure.stderr.trim(), failure.stdout.trim()].filter(Boolean).join('\n');
    super(
      `${what}\n  node: ${failure.node}\n  at: ${failure.origin}\n  command: ${failure.command}\n` +
        `  exit code: ${failure.timedOut ? 'none (stopped at its deadline)' : (failure.exitCode ?? 'none (killed)')}` +
        (out ? `\n  output: ${out.replace(/\n/g, '\n          ')}` : ''),
    );
  }
}

/** The run was interrupted by a signal; teardown still happens. */
export class InterruptedError extends Error {
  override readonly name = 'InterruptedError';
  constructor(readonly signal: NodeJS.Signals) {
    super(`interrupted by ${signal}`);
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
