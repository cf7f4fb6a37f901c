/** Sim-versus-real evaluation: the PerSim comparison protocol, test policies, tables and plots. */
export { compareDynamics, trajectoryErrors, median, type CompareConfig, type ComparisonResult, type EpisodeComparison } from './compare.js';
export { testPolicyFor, type TestPolicy, type EpisodePolicy } from './test-policies.js';
export { trajectoryPlot, scatterPlot } from './plots.js';
export { comparisonTable, comparisonJson, writeComparisonReport, fmt, type AgentComparison } from './report.js';
export { evaluatePersimAgents, evaluatePersonalized, observationNames, type PersimEvalOptions } from './persim-eval.js';
export { pca2 } from './embedding.js';
