package twingym

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"testing"
	"time"
)

const mcModel = "persim-mountaincar-random"

// modelManifest is the part of a shipped model's manifest.json these tests compare the server with.
type modelManifest struct {
	Kind        string `json:"kind"`
	Description string `json:"description"`
	Env         struct {
		ID string `json:"id"`
	} `json:"env"`
	Hyper struct {
		Members int `json:"members"`
	} `json:"hyper"`
	Agents struct {
		Count        int         `json:"count"`
		ContextNames []string    `json:"context_names"`
		Contexts     [][]float64 `json:"contexts"`
		TestAgents   []int       `json:"test_agents"`
	} `json:"agents"`
}

func readManifest(t *testing.T, id string) modelManifest {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot(t), "models", id, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m modelManifest
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// tinyCollect is 5 agents (MountainCar's PerSim test agents, the fewest the server collects) x 20 steps into a
// dataset id of its own (a server writes each dataset id once).
func tinyCollect(seed int, extra map[string]any) map[string]any {
	p := map[string]any{"env_id": "MountainCar-v0", "policy": "random", "agents": 5, "steps": 20, "seed": seed,
		"dataset": fmt.Sprintf("gotest-%d-%d", time.Now().UnixNano(), seed)}
	for k, v := range extra {
		if v == nil {
			delete(p, k)
		} else {
			p[k] = v
		}
	}
	return p
}

func TestJobAndModelVectorsParse(t *testing.T) {
	models := decodeVector(t, "list_models_reply")["models"].([]any)
	m := parseModel(models[0].(map[string]any))
	if m.ID != mcModel || m.Kind != "persim" || m.EnvID != "MountainCar-v0" || m.Members != 5 || m.Agents == nil ||
		*m.Agents != 500 || !reflect.DeepEqual(m.TestAgents, []int{0, 1, 2, 3, 4}) || !reflect.DeepEqual(m.ContextNames, []string{"gravity"}) {
		t.Fatalf("model %+v", m)
	}
	j := *jobReply(decodeVector(t, "job_status_reply"))
	if j.ID != "job-7f3a" || j.State != JobRunning || j.Done() || j.Progress.Done != 2 || j.Progress.Total != 3 ||
		j.Progress.Unit != "epochs" || j.Progress.Metrics["loss"] != 4.1e-05 || j.Err() != nil {
		t.Fatalf("job %+v", j)
	}
	if f := j.Progress.Fraction(); math.Abs(f-2.0/3) > 1e-12 {
		t.Fatalf("fraction %v", f)
	}
	queued := *jobReply(decodeVector(t, "start_job_reply"))
	if queued.Started != "" || queued.Result != nil || queued.Error != nil || queued.Progress.Fraction() != 0 {
		t.Fatalf("queued job %+v", queued)
	}
	if c := *jobReply(decodeVector(t, "cancel_job_reply")); !errors.Is(c.Err(), ErrJobCancelled) {
		t.Fatalf("cancelled job error %v", c.Err())
	}
	failed := parseJob(map[string]any{"id": "j", "state": "failed", "error": map[string]any{"code": "unknown_env", "message": "m", "details": map[string]any{}}})
	if !errors.Is(failed.Err(), ErrUnknownEnv) {
		t.Fatalf("failed job error %v", failed.Err())
	}
	for _, v := range loadVectors(t) {
		raw := decodeVector(t, v.Name)
		if isEvent(raw) != (v.Kind == "event") {
			t.Fatalf("%s: isEvent %v for kind %s", v.Name, isEvent(raw), v.Kind)
		}
	}
	cmp := parseCompare(decodeVector(t, "compare_reply"))
	if cmp.Model != mcModel || cmp.Episodes != 20 || cmp.Policy != "square-wave" || cmp.RMSE.Mean != 0.0042 ||
		cmp.R2.Median != 0.981 || !reflect.DeepEqual(cmp.PerDimensionRMSE, []float64{0.0058, 0.00041}) {
		t.Fatalf("compare %+v", cmp)
	}
	if !errors.Is(errorFromReply(decodeVector(t, "error_unknown_job"), "job_status"), ErrUnknownJob) {
		t.Fatal("unknown_job reply does not match ErrUnknownJob")
	}
}

func TestTrajectoryRequestMatchesTheVector(t *testing.T) {
	want := findVector(t, "make_request_learned_trajectory")
	v := decodeVector(t, want.Name)
	traj := v["dynamics"].(map[string]any)["trajectory"].(map[string]any)
	tensor := func(k string) Tensor {
		x, err := TensorFrom(traj[k])
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	tr := &Trajectory{Observations: tensor("observations"), Actions: tensor("actions"), NextObservations: tensor("next_observations")}
	got, err := Marshal(Obj{{"id", 5}, {"op", "make"}, {"env_id", "MountainCar-v0"}, {"dynamics", Obj{{"model", mcModel},
		{"trajectory", Obj{{"observations", tr.Observations}, {"actions", tr.Actions}, {"next_observations", tr.NextObservations}}},
		{"mode", "sample"}}}})
	if err != nil {
		t.Fatal(err)
	}
	back, _ := Unmarshal(got)
	if !equal(back, v) {
		t.Fatalf("trajectory request differs from the vector's meaning")
	}
}

func TestListModelsAndMakeWithATrainedAgent(t *testing.T) {
	c := dial(t)
	ctx := context.Background()
	man := readManifest(t, mcModel)
	models := must[[]ModelInfo](t)(c.ListModels(ctx, "MountainCar-v0"))
	var info *ModelInfo
	for i := range models {
		if models[i].EnvID != "MountainCar-v0" {
			t.Fatalf("env filter let %s through", models[i].ID)
		}
		if models[i].ID == mcModel {
			info = &models[i]
		}
	}
	if info == nil || info.Kind != man.Kind || info.Members != man.Hyper.Members || info.Agents == nil ||
		*info.Agents != man.Agents.Count || !reflect.DeepEqual(info.TestAgents, man.Agents.TestAgents) ||
		info.Description != man.Description {
		t.Fatalf("list_models %+v, manifest %+v", info, man)
	}
	env := must[*Env](t)(c.Make(ctx, "MountainCar-v0", MakeOptions{Model: mcModel, Agent: Agent(3)}))
	gravity := man.Agents.Contexts[3][0]
	if env.Contexts[0]["gravity"] != gravity || env.Dynamics["model"] != mcModel || toInt64(env.Dynamics["agent"]) != 3 ||
		env.Dynamics["kind"] != "persim" || env.Dynamics["mode"] != "mean" {
		t.Fatalf("contexts %v dynamics %v, agent 3 has gravity %v", env.Contexts, env.Dynamics, gravity)
	}
	got := must[[]map[string]float64](t)(env.GetContext(ctx))
	if got[0]["gravity"] != gravity {
		t.Fatalf("get_context %v", got)
	}
	if _, err := env.SetContext(ctx, map[string]float64{"gravity": 0.001}, nil); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("set_context on a learned session: %v", err)
	}
	must[*ResetResult](t)(env.Reset(ctx, ResetOptions{State: []float64{-0.5, 0}}))
	s := must[*StepResult](t)(env.Step(ctx, 2))
	x, v, _ := mountainCarStep(-0.5, 0, 2, gravity)
	o := s.Obs.Float32s()
	if math.Abs(float64(o[0])-x) > 2e-3 || math.Abs(float64(o[1])-v) > 5e-4 || s.Reward[0] != -1 {
		t.Fatalf("learned step %v reward %v, formula (%v, %v)", o, s.Reward, x, v)
	}
	if _, err := c.Make(ctx, "CartPole-v0", MakeOptions{Model: mcModel, Agent: Agent(0)}); !errors.Is(err, ErrUnknownDynamics) {
		t.Fatalf("a MountainCar model for CartPole: %v", err)
	}
	if _, err := c.Make(ctx, "MountainCar-v0", MakeOptions{Agent: Agent(1)}); err == nil {
		t.Fatal("Agent without Model was accepted")
	}
}

func TestTrajectoryPersonalisesAndSampleMode(t *testing.T) {
	c := dial(t)
	ctx := context.Background()
	const gravity, n = 0.0031, 60
	real := must[*Env](t)(c.Make(ctx, "MountainCar-v0", MakeOptions{Context: map[string]float64{"gravity": gravity}, MaxEpisodeSteps: 10000}))
	obs := must[*ResetResult](t)(real.Reset(ctx, ResetOptions{Seed: Seed(4)})).Obs.Float32s()
	rng := rand.New(rand.NewSource(4))
	var o, o2 []float32
	var acts []int64
	for k := 0; k < n; k++ {
		a := rng.Intn(3)
		next := must[*StepResult](t)(real.Step(ctx, a)).Obs.Float32s()
		o, o2, acts = append(o, obs...), append(o2, next...), append(acts, int64(a))
		obs = next
	}
	tr := &Trajectory{Observations: Float32Tensor(o, n, 2), Actions: Int64Tensor(acts, n), NextObservations: Float32Tensor(o2, n, 2)}
	env := must[*Env](t)(c.Make(ctx, "MountainCar-v0", MakeOptions{Model: mcModel, Trajectory: tr}))
	if env.Dynamics["personalized"] != true {
		t.Fatalf("dynamics %v", env.Dynamics)
	}
	must[*ResetResult](t)(env.Reset(ctx, ResetOptions{State: []float64{-0.5, 0}}))
	s := must[*StepResult](t)(env.Step(ctx, 1))
	if _, v, _ := mountainCarStep(-0.5, 0, 1, gravity); math.Abs(float64(s.Obs.Float32s()[1])-v) > 5e-4 {
		t.Fatalf("personalised step %v, formula velocity %v", s.Obs.Float32s(), v)
	}
	vec := must[*Env](t)(c.Make(ctx, "MountainCar-v0", MakeOptions{Model: mcModel, Agent: Agent(3), Mode: "sample", NumEnvs: 2}))
	if vec.Dynamics["mode"] != "sample" || !vec.Vectorized {
		t.Fatalf("sample mode %v", vec.Dynamics)
	}
	must[*ResetResult](t)(vec.Reset(ctx, ResetOptions{Seed: Seed(0)}))
	if vs := must[*StepResult](t)(vec.Step(ctx, []int64{2, 0})); !reflect.DeepEqual(vs.Reward, []float64{-1, -1}) {
		t.Fatalf("sample-mode step %+v", vs)
	}
}

func TestCollectJobReportsProgressThroughEvents(t *testing.T) {
	c := dial(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var heard []Event
	remove := c.OnEvent(func(e Event) { heard = append(heard, e) })
	defer remove()
	job := must[*JobInfo](t)(c.StartJob(ctx, "collect", tinyCollect(1, nil), StartJobOptions{}))
	if job.Kind != "collect" || toInt64(job.Params["agents"]) != 5 {
		t.Fatalf("start_job %+v", job)
	}
	var updates []JobInfo
	final := must[*JobInfo](t)(c.WaitJob(ctx, job.ID, WaitOptions{OnProgress: func(j JobInfo) { updates = append(updates, j) }}))
	if final.State != JobSucceeded || final.Err() != nil || toInt64(final.Result["rows"]) != 100 || final.Finished == "" {
		t.Fatalf("final %+v", final)
	}
	if len(updates) == 0 || !reflect.DeepEqual(updates[len(updates)-1].Raw, final.Raw) || updates[len(updates)-1].Progress.Fraction() != 1 {
		t.Fatalf("progress updates %+v", updates)
	}
	dones := []float64{}
	for _, u := range updates {
		dones = append(dones, u.Progress.Done)
	}
	if !sort.Float64sAreSorted(dones) {
		t.Fatalf("progress went backwards: %v", dones)
	}
	finishedEvents := 0
	for _, e := range heard {
		if e.Name == "job_finished" && e.Job != nil && e.Job.ID == job.ID {
			finishedEvents++
		}
	}
	if finishedEvents != 1 {
		t.Fatalf("%d job_finished events for the job (listener saw %d events)", finishedEvents, len(heard))
	}
	status := must[*JobInfo](t)(c.JobStatus(ctx, job.ID))
	if !reflect.DeepEqual(status.Raw, final.Raw) {
		t.Fatalf("job_status %+v differs from the final %+v", status, final)
	}
	listed := must[[]JobInfo](t)(c.ListJobs(ctx))
	found := false
	for i, j := range listed {
		found = found || j.ID == job.ID
		if i > 0 && listed[i-1].Created < j.Created {
			t.Fatal("list_jobs is not newest first")
		}
	}
	if !found {
		t.Fatal("list_jobs lacks the job")
	}
	if again := must[*JobInfo](t)(c.CancelJob(ctx, job.ID)); again.State != JobSucceeded {
		t.Fatalf("cancel of a finished job: %+v", again)
	}
}

func TestWaitJobPollsWithoutEventsAndHonoursItsContext(t *testing.T) {
	c := dial(t)
	ctx := context.Background()
	job := must[*JobInfo](t)(c.StartJob(ctx, "collect", tinyCollect(2, nil), StartJobOptions{NoSubscribe: true}))
	final := must[*JobInfo](t)(c.WaitJob(ctx, job.ID, WaitOptions{PollInterval: 50 * time.Millisecond}))
	if final.State != JobSucceeded {
		t.Fatalf("unsubscribed job %+v", final)
	}
	for _, e := range c.Events {
		if j, _ := e["job"].(map[string]any); j != nil && j["id"] == job.ID {
			t.Fatalf("event %v of an unsubscribed job", e["event"])
		}
	}
	big := must[*JobInfo](t)(c.StartJob(ctx, "collect", tinyCollect(3, map[string]any{"agents": 2000, "steps": nil}), StartJobOptions{}))
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	latest, err := c.WaitJob(short, big.ID, WaitOptions{PollInterval: 20 * time.Millisecond})
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) || latest == nil || latest.ID != big.ID {
		t.Fatalf("WaitJob past its deadline: %v, %+v", err, latest)
	}
	must[*JobInfo](t)(c.CancelJob(ctx, big.ID)) // the connection is still usable
	done := must[*JobInfo](t)(c.WaitJob(ctx, big.ID, WaitOptions{}))
	if done.State != JobCancelled || !errors.Is(done.Err(), ErrJobCancelled) {
		t.Fatalf("cancelled job %+v", done)
	}
	if _, err := c.JobStatus(ctx, "no-such-job"); !errors.Is(err, ErrUnknownJob) {
		t.Fatalf("unknown job: %v", err)
	}
	if _, err := c.WaitJob(ctx, "no-such-job", WaitOptions{}); !errors.Is(err, ErrUnknownJob) {
		t.Fatalf("waiting for an unknown job: %v", err)
	}
	if _, err := c.StartJob(ctx, "no-such-kind", nil, StartJobOptions{}); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("unknown kind: %v", err)
	}
}

func TestCompareATrainedAgent(t *testing.T) {
	c := dial(t)
	ctx := context.Background()
	r := must[*CompareResult](t)(c.Compare(ctx, CompareOptions{Model: mcModel, Agent: 3, Episodes: 2, Seed: Seed(1), Warmup: Int(5), Horizon: 10}))
	if r.EnvID != "MountainCar-v0" || r.Agent != 3 || r.Warmup != 5 || r.Horizon != 10 || r.Episodes < 1 || r.Episodes > 2 ||
		len(r.PerDimensionRMSE) != 2 || r.RMSE.Mean < 0 || r.RMSE.Mean > 0.05 || r.Policy == "" {
		t.Fatalf("compare %+v", r)
	}
}

func TestEveryListedLearnedDynamicsSteps(t *testing.T) {
	c := dial(t)
	ctx := context.Background()
	tried := 0
	for _, spec := range must[[]EnvSpec](t)(c.ListEnvs(ctx)) {
		for _, dyn := range spec.Dynamics {
			if dyn == "true" {
				continue
			}
			t.Run(spec.ID+":"+dyn, func(t *testing.T) {
				env, err := c.Make(ctx, spec.ID, MakeOptions{Model: dyn})
				if errors.Is(err, ErrInvalidArgument) { // a personalised model needs an agent
					env, err = c.Make(ctx, spec.ID, MakeOptions{Model: dyn, Agent: Agent(0)})
				}
				if err != nil {
					t.Fatal(err)
				}
				defer env.Close(ctx)
				if env.Dynamics["model"] != dyn || !reflect.DeepEqual(env.SingleObservationSpace, spec.ObservationSpace) {
					t.Fatalf("dynamics %v, observation space %+v", env.Dynamics, env.SingleObservationSpace)
				}
				r := must[*ResetResult](t)(env.Reset(ctx, ResetOptions{Seed: Seed(1)}))
				if !spec.ObservationSpace.Contains(r.Obs.Float64s()) {
					t.Fatalf("reset obs %v outside the space", r.Obs.Float64s())
				}
				rng := rand.New(rand.NewSource(1))
				for k := 1; k <= 10; k++ {
					s := must[*StepResult](t)(env.Step(ctx, sampleAction(spec.ActionSpace, rng)))
					if !spec.ObservationSpace.Contains(s.Obs.Float64s()) || s.EpisodeStep[0] != k {
						t.Fatalf("step %d: obs %v, episode_step %v", k, s.Obs.Float64s(), s.EpisodeStep)
					}
					if s.Terminated[0] || s.Truncated[0] {
						break
					}
				}
			})
			tried++
		}
	}
	if tried == 0 {
		t.Fatal("the server lists no learned dynamics; the shipped PerSim models should be served")
	}
}
