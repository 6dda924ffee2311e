// The workflow bundle's entry: every workflow type the workers register.
export { backtestWorkflow } from './backtest.js';
export { experimentWorkflow } from './experiment.js';
export { resourceSetWorkflow } from './resource-set.js';
export { rolloutWorkflow } from './rollout.js';
export { trainingWorkflow } from './training.js';
export { tuningWorkflow } from './tuning.js';
