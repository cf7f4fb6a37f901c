/** Background job kinds: what a server's start_job (and the CLI) can run. */
import { collectJob } from './collect.js';
import { compareJob } from './compare.js';
import { MOCODA_JOB_KINDS } from './mocoda.js';
import { trainPersimJob } from './train-persim.js';
import type { JobKind } from './types.js';

export type { JobKind, JobPlaces, JobProgress, JobResult, JobRunContext } from './types.js';
export { collectJob, truncateTrajectories, collectDatasetId, type CollectParams } from './collect.js';
export { trainPersimJob, type TrainPersimParams } from './train-persim.js';
export { compareJob, compareModel, perDimensionRmse, type CompareParams, type CompareOutcome } from './compare.js';
export { runJobInWorker, DEFAULT_CANCEL_GRACE_MS, type JobWorkerOptions } from './job-worker.js';
export { listDatasets, readDatasetEntry, loadStoredDataset, saveStoredDataset, datasetFile, DATASET_FORMATS, type DatasetEntry, type DatasetFormat } from './datasets.js';

/** The kinds every server runs by default: PerSim's collect, train and compare, then MOCODA's train and augment. */
export const STANDARD_JOB_KINDS: readonly JobKind[] = [...([collectJob, trainPersimJob, compareJob] as unknown as readonly JobKind[]), ...MOCODA_JOB_KINDS];
