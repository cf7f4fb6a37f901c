package twingym

import (
	"context"
	"fmt"
	"math"
)

// MakeOptions are the optional fields of make. The zero value makes one env with the true dynamics.
type MakeOptions struct {
	// NumEnvs > 1 makes a vector session (Gymnasium VectorEnv semantics).
	NumEnvs int
	// Vectorized forces vector semantics even for one env.
	Vectorized bool
	// Model selects learned dynamics by model id from ListModels ("" for the true environment); Agent selects a
	// trained PerSim agent, or Trajectory personalises the model for a new agent from its transitions.
	Model      string
	Agent      *int
	Trajectory *Trajectory
	// Mode is "mean" (the ensemble mean, the server's default) or "sample" (one member drawn per step and env).
	Mode string
	// Context applies to every env; Contexts gives one map per env. Parameters left out keep their defaults.
	Context  map[string]float64
	Contexts []map[string]float64
	// Seed is used by the first reset when it gives none.
	Seed *uint64
	// MaxEpisodeSteps overrides the time limit (0 keeps the env's).
	MaxEpisodeSteps int
	// Autoreset is "next_step" (default for vector sessions), "same_step" or "disabled".
	Autoreset string
	// Options are env options (EnvSpec.Raw["options"]).
	Options map[string]any
}

// Trajectory is a new agent's transitions for PerSim personalisation: Observations and NextObservations [n, O],
// Actions [n] (discrete actions as integers) or [n, A]. Build them with Float64Tensor(values, n, O) and friends.
type Trajectory struct {
	Observations     Tensor
	Actions          Tensor
	NextObservations Tensor
}

// Agent returns a pointer to a, for MakeOptions.Agent.
func Agent(a int) *int { return &a }

// Seed returns a pointer to s, for MakeOptions.Seed and ResetOptions.Seed.
func Seed(s uint64) *uint64 { return &s }

// Env is one session: a single environment or a batch of them (Vectorized).
type Env struct {
	c *Client
	// Handle is the session handle on its connection.
	Handle uint64
	EnvID  string
	// NumEnvs is the batch size; Vectorized says whether tensors carry a leading env axis.
	NumEnvs    int
	Vectorized bool
	// ObservationSpace and ActionSpace are batched for vector sessions; the Single* ones describe one env.
	ObservationSpace       Space
	ActionSpace            Space
	SingleObservationSpace Space
	SingleActionSpace      Space
	// Contexts are the physical parameters read back at make.
	Contexts        []map[string]float64
	MaxEpisodeSteps int
	Autoreset       string
	RenderModes     []string
	// Dynamics is metadata.dynamics: {"kind": "true"}, or for a learned model its kind, model, agent (or
	// personalized), members and mode.
	Dynamics map[string]any
	// Raw is the make reply as sent.
	Raw map[string]any
}

// Make creates a session of envID on this connection.
func (c *Client) Make(ctx context.Context, envID string, o MakeOptions) (*Env, error) {
	f := Obj{{"env_id", envID}}
	if o.Model != "" {
		dyn := Obj{{"model", o.Model}}
		if o.Agent != nil {
			dyn = append(dyn, Field{"agent", *o.Agent})
		}
		if o.Trajectory != nil {
			dyn = append(dyn, Field{"trajectory", Obj{{"observations", o.Trajectory.Observations},
				{"actions", o.Trajectory.Actions}, {"next_observations", o.Trajectory.NextObservations}}})
		}
		if o.Mode != "" {
			dyn = append(dyn, Field{"mode", o.Mode})
		}
		f = append(f, Field{"dynamics", dyn})
	} else if o.Agent != nil || o.Trajectory != nil || o.Mode != "" {
		return nil, fmt.Errorf("twingym: Agent, Trajectory and Mode apply to learned dynamics only; set Model")
	}
	if o.NumEnvs > 0 && o.NumEnvs != 1 {
		f = append(f, Field{"num_envs", o.NumEnvs})
	}
	if o.Vectorized {
		f = append(f, Field{"vectorized", true})
	}
	if o.Contexts != nil {
		f = append(f, Field{"contexts", o.Contexts})
	} else if o.Context != nil {
		f = append(f, Field{"contexts", o.Context})
	}
	if o.Seed != nil {
		f = append(f, Field{"seed", *o.Seed})
	}
	if o.MaxEpisodeSteps > 0 {
		f = append(f, Field{"max_episode_steps", o.MaxEpisodeSteps})
	}
	if o.Autoreset != "" {
		f = append(f, Field{"autoreset", o.Autoreset})
	}
	if o.Options != nil {
		f = append(f, Field{"options", o.Options})
	}
	r, err := c.Request(ctx, "make", f)
	if err != nil {
		return nil, err
	}
	e := &Env{c: c, Raw: r}
	e.Handle = uint64(toInt64(r["session"]))
	e.EnvID, _ = r["env_id"].(string)
	e.NumEnvs = int(toInt64(r["num_envs"]))
	e.Vectorized, _ = r["vectorized"].(bool)
	for _, p := range []struct {
		key string
		dst *Space
	}{{"observation_space", &e.ObservationSpace}, {"action_space", &e.ActionSpace},
		{"single_observation_space", &e.SingleObservationSpace}, {"single_action_space", &e.SingleActionSpace}} {
		if *p.dst, err = parseSpace(r[p.key]); err != nil {
			return nil, fmt.Errorf("twingym: make reply %s: %w", p.key, err)
		}
	}
	e.Contexts = parseContexts(r["contexts"])
	if md, ok := r["metadata"].(map[string]any); ok {
		e.MaxEpisodeSteps = int(toInt64(md["max_episode_steps"]))
		e.Autoreset, _ = md["autoreset"].(string)
		e.RenderModes = stringList(md["render_modes"])
		e.Dynamics, _ = md["dynamics"].(map[string]any)
	}
	return e, nil
}

// Client is the connection this session lives on.
func (e *Env) Client() *Client { return e.c }

// ResetOptions are reset's optional arguments (Gymnasium's seed and options).
type ResetOptions struct {
	// Seed re-seeds: env i of a vector session gets Seed + i. Nil keeps the generators.
	Seed *uint64
	// Seeds gives one seed per env instead.
	Seeds []uint64
	// Context (every env) or Contexts (one per env) change physical parameters before the reset.
	Context  map[string]float64
	Contexts []map[string]float64
	// ResetMask resets only the envs whose entry is true (vector sessions).
	ResetMask []bool
	// State starts from these observations instead of sampling (one obs for every env, or NumEnvs of them).
	State []float64
}

// ResetResult is the first observation of the new episodes.
type ResetResult struct {
	Obs         Tensor
	EpisodeStep []int
}

// Reset starts new episodes.
func (e *Env) Reset(ctx context.Context, o ResetOptions) (*ResetResult, error) {
	f := Obj{{"session", e.Handle}}
	if o.Seeds != nil {
		f = append(f, Field{"seed", o.Seeds})
	} else if o.Seed != nil {
		f = append(f, Field{"seed", *o.Seed})
	}
	opts := Obj{}
	if o.Contexts != nil {
		opts = append(opts, Field{"contexts", o.Contexts})
	} else if o.Context != nil {
		opts = append(opts, Field{"contexts", o.Context})
	}
	if o.ResetMask != nil {
		opts = append(opts, Field{"reset_mask", o.ResetMask})
	}
	if o.State != nil {
		opts = append(opts, Field{"state", Float64Tensor(o.State)})
	}
	if len(opts) > 0 {
		f = append(f, Field{"options", opts})
	}
	r, err := e.c.Request(ctx, "reset", f)
	if err != nil {
		return nil, err
	}
	obs, err := TensorFrom(r["obs"])
	if err != nil {
		return nil, &ProtocolError{"reset obs: " + err.Error()}
	}
	info, _ := r["info"].(map[string]any)
	return &ResetResult{Obs: obs, EpisodeStep: intsOf(info["episode_step"])}, nil
}

// StepResult is one step of every env of the session. Slices have NumEnvs entries.
type StepResult struct {
	Obs         Tensor
	Reward      []float64
	Terminated  []bool
	Truncated   []bool
	EpisodeStep []int
	// FinalObs and FinalMask are set in same_step autoreset mode: the last observation of envs that ended.
	FinalObs  *Tensor
	FinalMask []bool
	// Info is the reply's info map as sent.
	Info map[string]any
}

// Step advances every env by one step. action is an int or int64 (a Discrete action), a []int64, []int, []float32
// or []float64 holding one action or NumEnvs actions (row-major), or a Tensor sent as is.
func (e *Env) Step(ctx context.Context, action any) (*StepResult, error) {
	a, err := e.encodeAction(action)
	if err != nil {
		return nil, err
	}
	r, err := e.c.Request(ctx, "step", Obj{{"session", e.Handle}, {"action", a}})
	if err != nil {
		return nil, err
	}
	return parseStep(r)
}

func parseStep(r map[string]any) (*StepResult, error) {
	obs, err := TensorFrom(r["obs"])
	if err != nil {
		return nil, &ProtocolError{"step obs: " + err.Error()}
	}
	s := &StepResult{Obs: obs, Reward: floatsOf(r["reward"]), Terminated: boolsOf(r["terminated"]),
		Truncated: boolsOf(r["truncated"])}
	s.Info, _ = r["info"].(map[string]any)
	s.EpisodeStep = intsOf(s.Info["episode_step"])
	if fo, ok := s.Info["final_obs"]; ok {
		t, err := TensorFrom(fo)
		if err != nil {
			return nil, &ProtocolError{"final_obs: " + err.Error()}
		}
		s.FinalObs = &t
		s.FinalMask = boolsOf(s.Info["final_mask"])
	}
	return s, nil
}

// actionShape is the shape of n values: the batched shape for a vector session, else the single shape.
func (e *Env) actionShape(n int) ([]int, error) {
	single := e.SingleActionSpace.Shape
	size := e.SingleActionSpace.Size()
	if e.Vectorized && n == e.NumEnvs*size {
		return append([]int{e.NumEnvs}, single...), nil
	}
	if n == size {
		return append([]int(nil), single...), nil
	}
	return nil, fmt.Errorf("twingym: %d action values; this session takes %d (or %d for every env)", n, e.NumEnvs*size, size)
}

func (e *Env) encodeAction(action any) (any, error) {
	switch a := action.(type) {
	case int:
		return a, nil
	case int64:
		return a, nil
	case Tensor:
		return a, nil
	case []int:
		v := make([]int64, len(a))
		for i, x := range a {
			v[i] = int64(x)
		}
		return e.encodeAction(v)
	case []int64:
		shape, err := e.actionShape(len(a))
		if err != nil {
			return nil, err
		}
		return intTensor(a, shape), nil
	case []float32:
		shape, err := e.actionShape(len(a))
		if err != nil {
			return nil, err
		}
		return Float32Tensor(a, shape...), nil
	case []float64:
		shape, err := e.actionShape(len(a))
		if err != nil {
			return nil, err
		}
		if e.SingleActionSpace.Integral() {
			v := make([]int64, len(a))
			for i, x := range a {
				if x != math.Trunc(x) {
					return Float64Tensor(a, shape...), nil // let the server name the wrong dtype
				}
				v[i] = int64(x)
			}
			return intTensor(v, shape), nil
		}
		if e.SingleActionSpace.DType == F32 {
			v := make([]float32, len(a))
			for i, x := range a {
				v[i] = float32(x)
			}
			return Float32Tensor(v, shape...), nil
		}
		return Float64Tensor(a, shape...), nil
	}
	return nil, fmt.Errorf("twingym: unsupported action type %T", action)
}

// intTensor sends integer actions as i32 when they fit (half the bytes, and a JavaScript server reads them without
// BigInt conversions), else as i64.
func intTensor(v []int64, shape []int) Tensor {
	small := make([]int32, len(v))
	for i, x := range v {
		if x < math.MinInt32 || x > math.MaxInt32 {
			return Int64Tensor(v, shape...)
		}
		small[i] = int32(x)
	}
	return Int32Tensor(small, shape...)
}

// GetContext reads back the physical parameters of every env.
func (e *Env) GetContext(ctx context.Context) ([]map[string]float64, error) {
	r, err := e.c.Request(ctx, "get_context", Obj{{"session", e.Handle}})
	if err != nil {
		return nil, err
	}
	return parseContexts(r["contexts"]), nil
}

// SetContext changes physical parameters from the next step on: one map for the envs in indices (all when nil),
// and returns every env's context as read back.
func (e *Env) SetContext(ctx context.Context, values map[string]float64, indices []int) ([]map[string]float64, error) {
	return e.setContext(ctx, values, indices)
}

// SetContexts gives one map per index (or per env when indices is nil).
func (e *Env) SetContexts(ctx context.Context, contexts []map[string]float64, indices []int) ([]map[string]float64, error) {
	return e.setContext(ctx, contexts, indices)
}

func (e *Env) setContext(ctx context.Context, contexts any, indices []int) ([]map[string]float64, error) {
	f := Obj{{"session", e.Handle}, {"contexts", contexts}}
	if indices != nil {
		f = append(f, Field{"indices", indices})
	}
	r, err := e.c.Request(ctx, "set_context", f)
	if err != nil {
		return nil, err
	}
	out := parseContexts(r["contexts"])
	e.Contexts = out
	return out, nil
}

// GetState returns an opaque snapshot of the session (with the random generators when includeRNG).
func (e *Env) GetState(ctx context.Context, includeRNG bool) ([]byte, error) {
	r, err := e.c.Request(ctx, "get_state", Obj{{"session", e.Handle}, {"include_rng", includeRNG}})
	if err != nil {
		return nil, err
	}
	b, ok := r["state"].([]byte)
	if !ok {
		return nil, &ProtocolError{"get_state reply state is not bytes"}
	}
	return b, nil
}

// SetState restores a snapshot from GetState and returns the restored observation.
func (e *Env) SetState(ctx context.Context, state []byte) (Tensor, error) {
	r, err := e.c.Request(ctx, "set_state", Obj{{"session", e.Handle}, {"state", state}})
	if err != nil {
		return Tensor{}, err
	}
	return TensorFrom(r["obs"])
}

// Render draws env index in mode ("svg" returns an SVG document).
func (e *Env) Render(ctx context.Context, mode string, index int) (string, error) {
	r, err := e.c.Request(ctx, "render", Obj{{"session", e.Handle}, {"mode", mode}, {"index", index}})
	if err != nil {
		return "", err
	}
	s, _ := r["data"].(string)
	return s, nil
}

// RolloutOptions are the optional fields of a rollout.
type RolloutOptions struct {
	// Start is nil for the env's current state, or observation-states: one obs for every sequence, or batch of them.
	Start []float64
	// Env selects the env of a vector session (default 0).
	Env int
	// Contexts override that env's context for this rollout only.
	Contexts map[string]float64
	// PerMember rolls every ensemble member out separately (a leading member axis).
	PerMember bool
	// WithoutObs leaves the observations out of the reply.
	WithoutObs bool
	// Seed seeds the generator of stochastic dynamics.
	Seed *uint64
}

// RolloutResult holds a rollout's trajectories: Obs is [members?, batch, horizon, ...obs] (nil WithoutObs), Reward and
// Terminated [members?, batch, horizon]; after a sequence terminates its rewards are 0 and Terminated stays set.
type RolloutResult struct {
	Obs         *Tensor
	Reward      Tensor
	Terminated  Tensor
	Members     int
	Transitions int
}

// Rollout evaluates action sequences (a Tensor [batch, horizon, ...action shape]) on the session's dynamics without
// changing the session. Servers without the op answer ErrUnknownOp.
func (e *Env) Rollout(ctx context.Context, actions Tensor, o RolloutOptions) (*RolloutResult, error) {
	f := Obj{{"session", e.Handle}, {"actions", actions}}
	if o.Start != nil {
		obsSize := e.SingleObservationSpace.Size()
		shape := append([]int(nil), e.SingleObservationSpace.Shape...)
		if obsSize > 0 && len(o.Start) != obsSize {
			shape = append([]int{len(o.Start) / obsSize}, shape...)
		}
		f = append(f, Field{"start", Float64Tensor(o.Start, shape...)})
	}
	if o.Env != 0 {
		f = append(f, Field{"env", o.Env})
	}
	if o.Contexts != nil {
		f = append(f, Field{"contexts", o.Contexts})
	}
	if o.PerMember {
		f = append(f, Field{"per_member", true})
	}
	if o.WithoutObs {
		f = append(f, Field{"include_obs", false})
	}
	if o.Seed != nil {
		f = append(f, Field{"seed", *o.Seed})
	}
	r, err := e.c.Request(ctx, "rollout", f)
	if err != nil {
		return nil, err
	}
	out := &RolloutResult{Members: int(toInt64(r["members"])), Transitions: int(toInt64(r["transitions"]))}
	if r["obs"] != nil {
		t, err := TensorFrom(r["obs"])
		if err != nil {
			return nil, &ProtocolError{"rollout obs: " + err.Error()}
		}
		out.Obs = &t
	}
	if out.Reward, err = TensorFrom(r["reward"]); err != nil {
		return nil, &ProtocolError{"rollout reward: " + err.Error()}
	}
	if out.Terminated, err = TensorFrom(r["terminated"]); err != nil {
		return nil, &ProtocolError{"rollout terminated: " + err.Error()}
	}
	return out, nil
}

// PlanOptions are the optional fields of plan.
type PlanOptions struct {
	// Planner is "random_shooting" (discrete actions) or "cem" (continuous); "" lets the server choose.
	Planner string
	// Settings are planner settings (candidates, horizon, iterations, elites, ...), PerSim's values when absent.
	Settings map[string]any
	// Seed re-seeds the env's planner.
	Seed *uint64
	// Env selects the env of a vector session (default 0).
	Env int
}

// PlanResult is one MPC decision.
type PlanResult struct {
	Action          Tensor
	PredictedReturn float64
	Score           float64
	Sequence        Tensor
	Planner         string
	WarmStarted     bool
	Transitions     int
}

// Plan runs the server's MPC planner from the env's current state and returns the action to take (one message per
// decision). Servers without the op answer ErrUnknownOp.
func (e *Env) Plan(ctx context.Context, o PlanOptions) (*PlanResult, error) {
	f := Obj{{"session", e.Handle}}
	if o.Env != 0 {
		f = append(f, Field{"env", o.Env})
	}
	if o.Planner != "" {
		f = append(f, Field{"planner", o.Planner})
	}
	if o.Settings != nil {
		f = append(f, Field{"settings", o.Settings})
	}
	if o.Seed != nil {
		f = append(f, Field{"seed", *o.Seed})
	}
	r, err := e.c.Request(ctx, "plan", f)
	if err != nil {
		return nil, err
	}
	out := &PlanResult{PredictedReturn: toFloat64(r["predicted_return"]), Score: toFloat64(r["score"]),
		Transitions: int(toInt64(r["transitions"]))}
	out.Planner, _ = r["planner"].(string)
	out.WarmStarted, _ = r["warm_started"].(bool)
	if out.Action, err = TensorFrom(r["action"]); err != nil {
		return nil, &ProtocolError{"plan action: " + err.Error()}
	}
	if out.Sequence, err = TensorFrom(r["sequence"]); err != nil {
		return nil, &ProtocolError{"plan sequence: " + err.Error()}
	}
	return out, nil
}

// Close frees the session; it reports false when it was already closed.
func (e *Env) Close(ctx context.Context) (bool, error) {
	r, err := e.c.Request(ctx, "close", Obj{{"session", e.Handle}})
	if err != nil {
		return false, err
	}
	closed, _ := r["closed"].(bool)
	return closed, nil
}

func parseContexts(v any) []map[string]float64 {
	raw, _ := v.([]any)
	out := make([]map[string]float64, len(raw))
	for i, c := range raw {
		m, _ := c.(map[string]any)
		out[i] = make(map[string]float64, len(m))
		for k, x := range m {
			out[i][k] = toFloat64(x)
		}
	}
	return out
}

func floatsOf(v any) []float64 {
	if IsTensor(v) {
		t, err := TensorFrom(v)
		if err == nil {
			return t.Float64s()
		}
		return nil
	}
	return []float64{toFloat64(v)}
}

func boolsOf(v any) []bool {
	if b, ok := v.(bool); ok {
		return []bool{b}
	}
	if t, err := TensorFrom(v); err == nil {
		return t.Bools()
	}
	return nil
}

func intsOf(v any) []int {
	if v == nil {
		return nil
	}
	if t, err := TensorFrom(v); err == nil {
		ints := t.Int64s()
		out := make([]int, len(ints))
		for i, x := range ints {
			out[i] = int(x)
		}
		return out
	}
	return []int{int(toInt64(v))}
}
