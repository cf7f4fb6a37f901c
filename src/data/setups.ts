/**
 * PerSim's per-environment data settings (REFERENCE.md 1 and 2): which context parameters vary across agents (the
 * others stay at their defaults) and the five test agents. Agents 0-4 of every dataset are the test agents, in the
 * order listed here, so "test agent k" is agent id k-1 everywhere.
 */

/** Context parameters PerSim varies for an environment, and its test agents as name -> value maps. */
export interface PersimEnvSetup {
  envId: string;
  varied: string[];
  testAgents: Record<string, number>[];
}

const SETUPS: Readonly<Record<string, PersimEnvSetup>> = {
  'MountainCar-v0': {
    envId: 'MountainCar-v0',
    varied: ['gravity'],
    testAgents: [0.0001, 0.0005, 0.001, 0.0025, 0.0035].map((gravity) => ({ gravity })),
  },
  'CartPole-v0': {
    envId: 'CartPole-v0',
    varied: ['force_mag', 'length'],
    testAgents: [[2, 0.5], [10, 0.5], [18, 0.5], [10, 0.85], [10, 0.15]].map(([force_mag, length]) => ({ force_mag, length })),
  },
  'HalfCheetah-v0': {
    envId: 'HalfCheetah-v0',
    varied: ['mass_scale', 'damping_scale'],
    testAgents: [[0.3, 1.7], [1.7, 0.3], [0.3, 0.3], [1.7, 1.7], [1, 1]].map(([mass_scale, damping_scale]) => ({ mass_scale, damping_scale })),
  },
};

/** The PerSim setup of an environment, or undefined when PerSim defines none. */
export function persimSetup(envId: string): PersimEnvSetup | undefined {
  return SETUPS[envId];
}

/** Environments with a PerSim setup. */
export function persimEnvs(): string[] {
  return Object.keys(SETUPS);
}
