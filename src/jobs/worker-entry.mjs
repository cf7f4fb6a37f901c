// Entry of a job's worker thread (see job-worker.ts): workers do not inherit the parent's TypeScript loader, so tsx is
// registered here before the TypeScript worker body (and through it the kind's module) is imported.
import { register } from 'tsx/esm/api';

register();
await import('./job-worker-thread.ts');
