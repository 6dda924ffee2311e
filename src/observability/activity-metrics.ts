import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import type { ControlPlaneMetrics } from './metrics.js';

/** A worker interceptor counting every failed activity attempt (retries included) by type. */
export function activityFailureInterceptor(metrics: ControlPlaneMetrics): ActivityInterceptorsFactory {
  return (ctx) => ({
    inbound: {
      async execute(input, next) {
        try {
          return await next(input);
        } catch (err) {
          metrics.activityFailures.inc({ activity: ctx.info.activityType });
          throw err;
        }
      },
    },
  });
}
