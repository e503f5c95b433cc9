/**
 * Orders the verifications of each model, so an older result never replaces a newer one: the run started last
 * owns the model's state, and a quiet run (the live badge, the check on open) waits for an explicit Verify Model
 * in progress instead of racing it (it would otherwise show its own, older view, or ask nothing and fail where
 * the explicit run was given a key).
 */
export class VerificationRuns {
  private next = 0;
  private readonly latest = new Map<string, number>();
  private readonly explicit = new Map<string, Promise<void>>();

  /** Runs `body` as the model's newest verification; `current()` says whether it still is. */
  async run<T>(modelPath: string, quiet: boolean, body: (current: () => boolean) => Promise<T>): Promise<T> {
    for (let pending = this.explicit.get(modelPath); quiet && pending; pending = this.explicit.get(modelPath)) await pending;
    const ticket = ++this.next;
    this.latest.set(modelPath, ticket);
    const done = body(() => this.latest.get(modelPath) === ticket);
    if (!quiet) {
      const settled = done.then(
        () => undefined,
        () => undefined,
      );
      this.explicit.set(modelPath, settled);
      // Registered before any waiter's continuation, so a waiter finds the entry gone.
      void settled.then(() => {
        if (this.explicit.get(modelPath) === settled) this.explicit.delete(modelPath);
      });
    }
    return done;
  }
}
