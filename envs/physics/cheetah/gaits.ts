/**
 * Open-loop gaits that show the cheetah can run: no feedback, just sines on the joints. The thigh gait was found by a
 * small search over frequencies and phases at the default context; it moves the cheetah forward across the context
 * grid (scripts/physics-cheetah-stability.ts).
 */
import { ENV_DT } from './model.js';

/** Gait frequency (Hz) and the front thigh's phase lag behind the back thigh (rad). */
export const THIGH_GAIT_HZ = 1;
export const THIGH_GAIT_LAG = 0.53;

/** Writes the thigh sine gait's action for env step t into out[o .. o + 6): full-amplitude sines on both thighs only. */
export function thighSineGait(t: number, out: Float64Array, o: number): void {
  const phase = 2 * Math.PI * THIGH_GAIT_HZ * t * ENV_DT;
  out.fill(0, o, o + 6);
  out[o] = Math.sin(phase);
  out[o + 3] = Math.sin(phase - THIGH_GAIT_LAG);
}
