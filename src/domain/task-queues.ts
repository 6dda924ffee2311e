/** Task queues: `main` runs workflows and light I/O activities; `forecast` runs CPU-heavy model fits. */
export const TASK_QUEUES = { main: 'prescale-main', forecast: 'prescale-forecast' } as const;
