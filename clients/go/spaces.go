package twingym

import (
	"fmt"
	"math"
	"math/rand"
)

// Space describes a space of protocol v1 (Gymnasium's Box, Discrete, MultiDiscrete, MultiBinary, Dict, Tuple).
type Space struct {
	// Type is "box", "discrete", "multi_discrete", "multi_binary", "dict" or "tuple".
	Type  string
	DType DType
	Shape []int
	// Low and High are the element-wise inclusive bounds of flat spaces (Discrete: start and start + n - 1).
	Low, High []float64
	// N and Start describe a Discrete space.
	N, Start int64
	// Keys (Dict only) and Spaces (Dict and Tuple) describe structured spaces.
	Keys   []string
	Spaces []Space
}

// Size is the number of elements of one value of a flat space.
func (s Space) Size() int {
	n := 1
	for _, d := range s.Shape {
		n *= d
	}
	return n
}

// Integral reports whether values must be integers.
func (s Space) Integral() bool {
	return s.DType != F32 && s.DType != F64
}

// Contains reports whether flat values lie in the space (right length, within bounds, integers where required).
func (s Space) Contains(values []float64) bool {
	if len(values) != len(s.Low) {
		return false
	}
	for i, x := range values {
		if !(x >= s.Low[i] && x <= s.High[i]) {
			return false
		}
		if s.Integral() && x != math.Trunc(x) {
			return false
		}
	}
	return true
}

// Sample draws a uniform value of a flat space (bounded dimensions uniform; unbounded ones standard normal).
func (s Space) Sample(r *rand.Rand) []float64 {
	out := make([]float64, len(s.Low))
	for i := range out {
		lo, hi := s.Low[i], s.High[i]
		switch {
		case s.Integral():
			out[i] = lo + float64(r.Int63n(int64(hi-lo)+1))
		case !math.IsInf(lo, 0) && !math.IsInf(hi, 0):
			x := lo + r.Float64()*(hi-lo)
			if s.DType == F32 {
				x = math.Min(math.Max(float64(float32(x)), lo), hi)
			}
			out[i] = x
		default:
			out[i] = r.NormFloat64()
		}
	}
	return out
}

func parseSpace(v any) (Space, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return Space{}, fmt.Errorf("a space spec is not a map")
	}
	s := Space{}
	s.Type, _ = m["type"].(string)
	dt, _ := m["dtype"].(string)
	s.DType = DType(dt)
	if raw, ok := m["shape"].([]any); ok {
		for _, d := range raw {
			s.Shape = append(s.Shape, int(toInt64(d)))
		}
	}
	switch s.Type {
	case "box":
		lo, err := TensorFrom(m["low"])
		if err != nil {
			return s, err
		}
		hi, err := TensorFrom(m["high"])
		if err != nil {
			return s, err
		}
		s.Low, s.High = lo.Float64s(), hi.Float64s()
	case "discrete":
		s.N, s.Start = toInt64(m["n"]), toInt64(m["start"])
		s.Shape = []int{}
		s.Low, s.High = []float64{float64(s.Start)}, []float64{float64(s.Start + s.N - 1)}
	case "multi_discrete":
		nv, err := TensorFrom(m["nvec"])
		if err != nil {
			return s, err
		}
		st, err := TensorFrom(m["start"])
		if err != nil {
			return s, err
		}
		nvec, start := nv.Float64s(), st.Float64s()
		s.Low = start
		s.High = make([]float64, len(nvec))
		for i := range nvec {
			s.High[i] = start[i] + nvec[i] - 1
		}
	case "multi_binary":
		s.Low = make([]float64, s.Size())
		s.High = make([]float64, s.Size())
		for i := range s.High {
			s.High[i] = 1
		}
	case "dict", "tuple":
		if keys, ok := m["keys"].([]any); ok {
			for _, k := range keys {
				ks, _ := k.(string)
				s.Keys = append(s.Keys, ks)
			}
		}
		subs, _ := m["spaces"].([]any)
		for _, sub := range subs {
			ss, err := parseSpace(sub)
			if err != nil {
				return s, err
			}
			s.Spaces = append(s.Spaces, ss)
		}
	default:
		return s, fmt.Errorf("unknown space type %q", s.Type)
	}
	return s, nil
}

// ContextParam is one physical parameter of an environment's context.
type ContextParam struct {
	Name        string
	Default     float64
	Low, High   float64
	Description string
	Unit        string
}

// EnvSpec is an environment as list_envs describes it.
type EnvSpec struct {
	ID               string
	Description      string
	ObservationSpace Space
	ActionSpace      Space
	Context          []ContextParam
	MaxEpisodeSteps  int
	RewardRange      [2]float64
	RenderModes      []string
	Dynamics         []string
	// Raw is the spec as sent (options, causal structure, ...).
	Raw map[string]any
}

func parseEnvSpec(m map[string]any) (EnvSpec, error) {
	e := EnvSpec{Raw: m}
	e.ID, _ = m["id"].(string)
	e.Description, _ = m["description"].(string)
	var err error
	if e.ObservationSpace, err = parseSpace(m["observation_space"]); err != nil {
		return e, fmt.Errorf("%s observation_space: %w", e.ID, err)
	}
	if e.ActionSpace, err = parseSpace(m["action_space"]); err != nil {
		return e, fmt.Errorf("%s action_space: %w", e.ID, err)
	}
	if ctx, ok := m["context"].(map[string]any); ok {
		params, _ := ctx["params"].([]any)
		for _, p := range params {
			pm, _ := p.(map[string]any)
			cp := ContextParam{Default: toFloat64(pm["default"]), Low: toFloat64(pm["low"]), High: toFloat64(pm["high"])}
			cp.Name, _ = pm["name"].(string)
			cp.Description, _ = pm["description"].(string)
			cp.Unit, _ = pm["unit"].(string)
			e.Context = append(e.Context, cp)
		}
	}
	e.MaxEpisodeSteps = int(toInt64(m["max_episode_steps"]))
	if rr, ok := m["reward_range"].([]any); ok && len(rr) == 2 {
		e.RewardRange = [2]float64{toFloat64(rr[0]), toFloat64(rr[1])}
	}
	e.RenderModes = stringList(m["render_modes"])
	e.Dynamics = stringList(m["dynamics"])
	return e, nil
}

func stringList(v any) []string {
	raw, _ := v.([]any)
	out := make([]string, 0, len(raw))
	for _, x := range raw {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}
