/** PerSim: personalized simulators from one trajectory per agent (network, training, personalisation, serving). */
export { defaultHyper, validateHyper, scaledMilestones, PERSIM_KINDS, type PersimHyper, type PersimKind } from './config.js';
export { PersimNetwork, type AgentSpec, type NetworkShape, type Standardization, type BatchInputs } from './network.js';
export { trainPersim, lrAt, standardizationOf, type EpochReport, type TrainCallbacks, type TrainResult } from './train.js';
export { PersimModel, persimModelFromTraining, savePersim, loadPersim, isPersimManifest, PERSIM_MODEL_KINDS, type PersimManifest } from './model.js';
export { personalize, meanCodes, agreementWeights, type PersonalizationData, type PersonalizeOptions, type Personalization } from './personalize.js';
export { PersimDynamics, type PersimAgent, type PersimDynamicsOptions } from './dynamics.js';
export { PersimModelStore, type PersimModelSummary, type PersimDynamicsRequest, type PersimDynamicsResult } from './store.js';
export { runPersimTraining, type PersimTrainingJob, type PersimTrainingOutcome } from './job.js';
export { startPersimTrainingJob, type BackgroundTrainingJob, type TrainingEvent, type TrainingJobHandle } from './background.js';
