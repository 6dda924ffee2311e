// The workflow bundle's entry: every workflow type the workers register.
export { resourceSetWorkflow } from './resource-set.js';
