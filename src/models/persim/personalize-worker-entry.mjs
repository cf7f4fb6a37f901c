// Entry of the PerSim personalisation thread (see personalize-worker.ts): workers do not inherit the parent's
// TypeScript loader, so tsx is registered here before the TypeScript body is imported.
import { register } from 'tsx/esm/api';

register();
await import('./personalize-worker-thread.ts');
