// Keeps the labs of scenarios run at once up until every scenario has done its checks.
//
// Why: deleting a lab's namespaces makes the kernel close each of its VXLAN devices while it holds
// the RTNL lock, one RCU grace period (~14 ms on this VM) apiece: 1.4 s for a 100-node lab, in
// which every other lab's build, link watch and capture waits (NOTES, "Labs held until the run's
// checks end"). Once every check has run, no one is left to wait.

import { onAbort } from './util/abort-fanout.ts';

export class LabHold {
  private released = false;
  private releaseAll_!: () => void;
  private readonly releasedAll = new Promise<void>((resolve) => (this.releaseAll_ = resolve));

  /** Resolves when the lab may come down: once every lab is released, or at once if the signal aborts. */
  until(signal?: AbortSignal): Promise<void> {
    if (this.released || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      // One listener on the run's signal however many labs are held (abort-fanout.ts).
      const leave = signal ? onAbort(signal, resolve) : () => undefined;
      void this.releasedAll.then(() => {
        leave();
        resolve();
      });
    });
  }

  /** Every held lab may come down now, and every lab that finishes its checks from now on comes down at once. */
  releaseAll(): void {
    this.released = true;
    this.releaseAll_();
  }
}
