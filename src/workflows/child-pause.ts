import { condition, patched, setHandler } from '@temporalio/workflow';
import { pauseRolloutSignal, resumeRolloutSignal } from './rollout-messages.js';

/**
 * Experiments and tuning sessions started before they handled pause and resume replay without
 * the handlers: a pause sent to one of them then was dropped, and must stay dropped on replay.
 */
export const CHILD_PAUSE = 'child-pause';

/**
 * Pause and resume for a child of the resource-set workflow (an experiment, a tuning session),
 * by the rollout's signals, so the API steers whichever child runs alike. As with a rollout, a
 * pause holds the child where it is: it changes no instance, its hold or bake clock stops, and it
 * takes no next step until resumed. A decision to act now (abort, promote, conclude) ends it.
 */
export class ChildPause {
  paused = false;
  private since = 0;
  private total = 0;

  /** `noted` hears each pause and resume, for the child's progress and events. */
  constructor(private readonly noted: (paused: boolean) => void) {
    if (!patched(CHILD_PAUSE)) return;
    setHandler(pauseRolloutSignal, () => this.pause());
    setHandler(resumeRolloutSignal, () => this.resume());
  }

  pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.since = Date.now();
    this.noted(true);
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.total += Date.now() - this.since;
    this.noted(false);
  }

  /** Time that counts for a hold or bake: time elapsed outside pauses. */
  unpausedNow(): number {
    return Date.now() - this.total - (this.paused ? Date.now() - this.since : 0);
  }

  /**
   * Waits until `ms` of unpaused time has passed, or `stop()` holds (then answers true); `changed`
   * runs on each pause and resume meanwhile, to record it. Never paused, it is one timer.
   */
  async hold(ms: number, stop: () => boolean, changed: () => Promise<void>): Promise<boolean> {
    const ends = this.unpausedNow() + ms;
    if (!this.paused && !(await condition(() => stop() || this.paused, ms))) return stop();
    for (;;) {
      if (await this.held(stop, changed)) return true;
      const left = ends - this.unpausedNow();
      if (left <= 0) return false;
      if (!(await condition(() => stop() || this.paused, left))) return stop();
    }
  }

  /** Waits while paused, recording the pause and the resume, unless `stop()`; answers `stop()`. */
  async held(stop: () => boolean, changed: () => Promise<void>): Promise<boolean> {
    if (this.paused && !stop()) {
      await changed();
      await condition(() => stop() || !this.paused);
      await changed();
    }
    return stop();
  }
}
