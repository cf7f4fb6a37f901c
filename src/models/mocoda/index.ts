/**
 * MOCODA's learned models and parent distribution (REFERENCE.md 5): Gaussian ensemble dynamics (unfactored, globally
 * and locally factored), their training, prediction and sampling, registry storage, the parent distribution (Gaussian
 * mixtures per parent set, sampled set by set with conditioning and region rejection), and serving (Dynamics,
 * ModelProvider).
 */
export {
  MOCODA_KINDS, MOCODA_MODEL_KINDS, defaultMocodaHyper, validateMocodaHyper,
  type MocodaKind, type MocodaHyper, type TransitionData,
} from './config.js';
export {
  mocodaLayout, rootVectors, scatterRoots, childVectors, dimsOfRoots,
  type MocodaLayout, type RootVar, type ChildVar, type RegionInfo,
} from './layout.js';
export { MocodaNetwork, MIN_VARIANCE, type GaussianOut } from './network.js';
export { trainMocoda, gaussianNll, checkTransitionData, type MocodaCallbacks } from './train.js';
export {
  MocodaModel, saveMocoda, loadMocoda, modelFromManifest, isMocodaManifest, transitionFingerprint,
  type MocodaEpochReport, type MocodaTrainingInfo, type MocodaDatasetInfo, type MocodaManifest,
  type MocodaSampleOptions, type MocodaPrediction, type SaveMocodaOptions,
} from './model.js';
export { DiagonalGmm, type GmmFitOptions, type GmmSampleOptions, type GmmJson, type GmmFitInfo } from './gmm.js';
export {
  ParentDistribution, fitParentDistribution,
  type ParentFitOptions, type ParentSampleOptions, type ParentSamples, type ParentSetModel, type ParentRegion, type ParentDistributionJson,
} from './parents.js';
export { MocodaDynamics, type MocodaDynamicsOptions } from './dynamics.js';
export { MocodaProvider, mocodaModelInfo } from './provider.js';
