// The workflow bundle's entry: every workflow type the workers register.
export { resourceSetWorkflow } from './resource-set.js';
export { rolloutWorkflow } from './rollout.js';
export { trainingWorkflow } from './training.js';
