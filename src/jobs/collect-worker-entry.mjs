// Entry of a collect job's worker thread: workers do not inherit the parent's TypeScript loader, so tsx is registered
// here before the TypeScript worker body is imported.
import { register } from 'tsx/esm/api';

register();
await import('./collect-worker.ts');
