// A defer stack (as in the kernel selftests): register the undo right after each create;
// unwinding runs them in reverse and keeps going past failures, reporting the first one.

export class DeferStack {
  private readonly undo: { what: string; fn: () => Promise<unknown> | unknown }[] = [];

  defer(what: string, fn: () => Promise<unknown> | unknown): void {
    this.undo.push({ what, fn });
  }

  /** Runs every deferred action, last first. Errors are collected, never allowed to stop the unwinding. */
  async unwind(): Promise<Error[]> {
    const errors: Error[] = [];
    while (this.undo.length > 0) {
      const { what, fn } = this.undo.pop()!;
      try {
        await fn();
      } catch (error) {
        errors.push(new Error(`teardown: ${what}: ${error instanceof Error ? error.message : String(error)}`, { cause: error }));
      }
    }
    return errors;
  }
}
