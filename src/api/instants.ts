import { z } from 'zod';

/**
 * The loop, the store and the forecasters compute with epoch seconds; the API writes every
 * instant one way, ISO 8601 in UTC to the millisecond, so clients parse one format.
 */
export const isoFromSeconds = (seconds: number): string => new Date(seconds * 1000).toISOString();

/** A forecast with its start as an instant. */
export const showForecast = <F extends { start: number }>(forecast: F): Omit<F, 'start'> & { start: string } => ({
  ...forecast,
  start: isoFromSeconds(forecast.start),
});

/** An instant in an answer, as the OpenAPI document describes it. */
export const instantSchema = z.iso
  .datetime()
  .describe('ISO 8601 in UTC to the millisecond, e.g. 2026-12-07T16:12:52.000Z');
