// The backtest of a resource set's recorded demand, as the API asks for it and the activity runs
// it: its bounds and the failures that mean "this history cannot answer", shared by both sides.

/** Less than two days leaves the forecaster no two seasons to trust and one day to score: nothing to compare. */
export const MIN_BACKTEST_DAYS = 2;
export const MAX_BACKTEST_DAYS = 14;

/** Failure types the API answers 422 to. */
export const BACKTEST_UNANSWERABLE = ['history_too_short', 'no_demand'] as const;
