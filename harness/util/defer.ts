// A defer stack (as in the kernel selftests): register the undo right after each create;
// unwinding runs them in reverse and keeps going past failures, reporting the first one.

export class DeferStack implements AsyncDisposable {
  private readonly undo: { what: string; fn: () => Promise<unknown> | unknown }[] = [];

  defer(what: string, fn: () => Promise<unknown> | unknown): void {
    this.undo.push({ what, fn });
  }

  get size(): number {
    return this.undo.length;
  }

  /** Runs every deferred action, last first. Errors are collected, never allowed to stop the unwinding. */
  async unwind(): Promise<Error[]> {
    const errors: Error[] = [];
    while (this.undo.length > 0) {
      const { what, fn } = this.undo.pop()!;
      try {
        await fn();
      } catch (error) {
        errors.push(new Error(`teardown: ${what}: ${error instanceof Error ? error.message : String(error)}`));
      }
    }
    return errors;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    const errors = await this.unwind();
    if (errors.length > 0) throw new AggregateError(errors, errors.map((e) => e.message).join('; '));
  }
}
