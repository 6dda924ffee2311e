/**
 * A bounded worker pool with a FIFO wait queue: at most `size` tasks run at once, up to `queueLimit`
 * wait, and the rest are refused. Shrinking the pool lets running tasks finish; it only stops new
 * ones from starting until enough have.
 */
export class WorkerPool {
  private busy = 0;
  /** A Set is FIFO by insertion and removes a withdrawn waiter in O(1). */
  private readonly waiting = new Set<() => void>();
  private utilizationSeconds = 0;
  private lastAccrual = performance.now();

  constructor(
    private size: number,
    private queueLimit: number,
  ) {}

  get queueDepth(): number {
    return this.waiting.size;
  }

  /** Busy share of the pool right now, 0..1 (above-size work after a shrink counts as full). */
  get utilization(): number {
    return Math.min(1, this.busy / this.size);
  }

  /** ∫ utilization dt since start, in seconds: its rate over any window is that window's mean utilisation. */
  totalUtilizationSeconds(): number {
    this.accrue();
    return this.utilizationSeconds;
  }

  /**
   * Runs `task` on a worker now or once one is free. Returns null when the queue is full, else a
   * function that withdraws the task if it is still waiting (its client went away).
   */
  submit(task: () => Promise<void>): (() => void) | null {
    if (this.busy < this.size && this.waiting.size === 0) {
      this.start(task);
      return () => undefined;
    }
    if (this.waiting.size >= this.queueLimit) return null;
    const waiter = (): void => this.start(task);
    this.waiting.add(waiter);
    return () => {
      this.waiting.delete(waiter);
    };
  }

  resize(size: number, queueLimit: number): void {
    this.accrue();
    this.size = size;
    // Requests already queued beyond a smaller limit keep their place: they were accepted.
    this.queueLimit = queueLimit;
    this.drain();
  }

  private start(task: () => Promise<void>): void {
    this.accrue();
    this.busy++;
    const finish = (): void => {
      this.accrue();
      this.busy--;
      this.drain();
    };
    // A task answers its own failures; the pool only needs to know it ended.
    task().then(finish, finish);
  }

  private drain(): void {
    for (const waiter of this.waiting) {
      if (this.busy >= this.size) return;
      this.waiting.delete(waiter);
      waiter();
    }
  }

  private accrue(): void {
    const now = performance.now();
    this.utilizationSeconds += ((now - this.lastAccrual) / 1000) * this.utilization;
    this.lastAccrual = now;
  }
}
