package twingym

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"
)

var (
	serverOnce sync.Once
	serverURL  string
	serverErr  error
	serverCmd  *exec.Cmd
	serverDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if serverCmd != nil && serverCmd.Process != nil {
		_ = serverCmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = serverCmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = serverCmd.Process.Kill()
			<-done
		}
	}
	if serverDir != "" {
		os.RemoveAll(serverDir)
	}
	os.Exit(code)
}

// liveURL is $TWINGYM_URL, or a server started once (node bin/twingym.mjs serve) on a free port. The server runs in
// a temporary directory (removed by TestMain) that also holds its --data, so the datasets its jobs write stay out of
// the repository; it serves the repository's shipped models.
func liveURL(t testing.TB) string {
	t.Helper()
	serverOnce.Do(func() {
		if u := os.Getenv("TWINGYM_URL"); u != "" {
			serverURL = u
			return
		}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			serverErr = err
			return
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		root, _ := filepath.Abs(filepath.Join("..", ".."))
		logFile, err := os.Create(filepath.Join(os.TempDir(), fmt.Sprintf("twingym-go-test-%d.log", port)))
		if err != nil {
			serverErr = err
			return
		}
		if serverDir, serverErr = os.MkdirTemp("", "twingym-gotest-"); serverErr != nil {
			return
		}
		serverCmd = exec.Command("node", filepath.Join(root, "bin", "twingym.mjs"), "serve", "--host", "127.0.0.1", "--port", fmt.Sprint(port), "--log-level", "warn",
			"--data", filepath.Join(serverDir, "data"))
		serverCmd.Dir = serverDir
		serverCmd.Stdout, serverCmd.Stderr = logFile, logFile
		if serverErr = serverCmd.Start(); serverErr != nil {
			return
		}
		deadline := time.Now().Add(90 * time.Second)
		for time.Now().Before(deadline) {
			resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/readyz", port))
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == 200 {
					serverURL = fmt.Sprintf("ws://127.0.0.1:%d", port)
					return
				}
			}
			time.Sleep(200 * time.Millisecond)
		}
		serverErr = fmt.Errorf("the server did not become ready within 90 s (log: %s)", logFile.Name())
	})
	if serverErr != nil {
		t.Fatal(serverErr)
	}
	return serverURL
}

func dial(t *testing.T) *Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := Dial(ctx, liveURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func sampleAction(s Space, r *rand.Rand) any {
	v := s.Sample(r)
	if s.Type == "discrete" {
		return int64(v[0])
	}
	if s.Integral() {
		out := make([]int64, len(v))
		for i, x := range v {
			out[i] = int64(x)
		}
		return out
	}
	return v
}

func TestHelloAndListEnvs(t *testing.T) {
	c := dial(t)
	if c.Hello.Protocol[:2] != "1." || !c.Hello.Supports("step") || c.Hello.Limits.MaxFrameBytes <= 0 {
		t.Fatalf("hello %+v", c.Hello)
	}
	envs := must[[]EnvSpec](t)(c.ListEnvs(context.Background()))
	if len(envs) == 0 {
		t.Fatal("no environments")
	}
	for _, e := range envs {
		if e.MaxEpisodeSteps < 1 || e.ObservationSpace.Size() == 0 {
			t.Errorf("%s: %+v", e.ID, e)
		}
	}
	bad := must[*Client](t)(Dial(context.Background(), liveURL(t), WithoutHello()))
	defer bad.Close()
	_, err := bad.Request(context.Background(), "hello", Obj{{"protocol", "2.0.0"}})
	if !errors.Is(err, ErrUnsupportedVersion) {
		t.Fatalf("major 2 answered %v", err)
	}
}

func TestEpisodeOfEveryEnv(t *testing.T) {
	c := dial(t)
	ctx := context.Background()
	for _, spec := range must[[]EnvSpec](t)(c.ListEnvs(ctx)) {
		t.Run(spec.ID, func(t *testing.T) {
			env := must[*Env](t)(c.Make(ctx, spec.ID, MakeOptions{}))
			r := must[*ResetResult](t)(env.Reset(ctx, ResetOptions{Seed: Seed(3)}))
			if r.Obs.DType != spec.ObservationSpace.DType || !reflect.DeepEqual(r.Obs.Shape, spec.ObservationSpace.Shape) {
				t.Fatalf("reset obs %s %v", r.Obs.DType, r.Obs.Shape)
			}
			if !spec.ObservationSpace.Contains(r.Obs.Float64s()) || r.EpisodeStep[0] != 0 {
				t.Fatalf("reset obs %v outside the space or step %v", r.Obs.Float64s(), r.EpisodeStep)
			}
			rng := rand.New(rand.NewSource(3))
			steps := 0
			for {
				s := must[*StepResult](t)(env.Step(ctx, sampleAction(spec.ActionSpace, rng)))
				steps++
				if s.EpisodeStep[0] != steps || len(s.Reward) != 1 || math.IsNaN(s.Reward[0]) {
					t.Fatalf("step %d: %+v", steps, s)
				}
				if s.Reward[0] < spec.RewardRange[0] || s.Reward[0] > spec.RewardRange[1] {
					t.Fatalf("reward %v outside %v", s.Reward[0], spec.RewardRange)
				}
				if s.Terminated[0] || s.Truncated[0] {
					if s.Truncated[0] && !s.Terminated[0] && steps != spec.MaxEpisodeSteps {
						t.Fatalf("truncated at %d, limit %d", steps, spec.MaxEpisodeSteps)
					}
					break
				}
				if steps >= spec.MaxEpisodeSteps {
					t.Fatalf("no truncation at the limit %d", spec.MaxEpisodeSteps)
				}
			}
			_, err := env.Step(ctx, sampleAction(spec.ActionSpace, rng))
			if !errors.Is(err, ErrNeedsReset) {
				t.Fatalf("step after the end answered %v", err)
			}
			if closed := must[bool](t)(env.Close(ctx)); !closed {
				t.Fatal("close answered false")
			}
			if closed := must[bool](t)(env.Close(ctx)); closed {
				t.Fatal("second close answered true")
			}
		})
	}
}

// mountainCarStep is REFERENCE.md 1.1, written out independently.
func mountainCarStep(x, v float64, a int, g float64) (float64, float64, bool) {
	v = v + float64(a-1)*0.001 - g*math.Cos(3*x)
	v = math.Min(math.Max(v, -0.07), 0.07)
	x = math.Min(math.Max(x+v, -1.2), 0.6)
	if x == -1.2 && v < 0 {
		v = 0
	}
	return x, v, x >= 0.5 && v >= 0
}

func TestMountainCarMatchesTheFormulas(t *testing.T) {
	c := dial(t)
	ctx := context.Background()
	env := must[*Env](t)(c.Make(ctx, "MountainCar-v0", MakeOptions{Context: map[string]float64{"gravity": 0.001}}))
	if env.Contexts[0]["gravity"] != 0.001 {
		t.Fatalf("contexts read back %v", env.Contexts)
	}
	r := must[*ResetResult](t)(env.Reset(ctx, ResetOptions{State: []float64{-0.5, 0}}))
	if !reflect.DeepEqual(r.Obs.Float32s(), []float32{-0.5, 0}) {
		t.Fatalf("start %v", r.Obs.Float32s())
	}
	x, v := -0.5, 0.0
	rng := rand.New(rand.NewSource(1))
	for k := 0; k < 100; k++ {
		a := rng.Intn(3)
		var term bool
		x, v, term = mountainCarStep(x, v, a, 0.001)
		s := must[*StepResult](t)(env.Step(ctx, a))
		o := s.Obs.Float32s()
		if math.Abs(float64(o[0])-x) > 1e-6 || math.Abs(float64(o[1])-v) > 1e-7 || s.Terminated[0] != term {
			t.Fatalf("step %d: server %v, formula (%v, %v)", k, o, x, v)
		}
		want := -1.0
		if term {
			want = 0
		}
		if s.Reward[0] != want {
			t.Fatalf("reward %v, want %v", s.Reward[0], want)
		}
	}
}

func TestSeedingAndVectorSeeds(t *testing.T) {
	c := dial(t)
	ctx := context.Background()
	env := must[*Env](t)(c.Make(ctx, "MountainCar-v0", MakeOptions{}))
	o1 := must[*ResetResult](t)(env.Reset(ctx, ResetOptions{Seed: Seed(123)})).Obs.Data
	o2 := must[*ResetResult](t)(env.Reset(ctx, ResetOptions{})).Obs.Data
	o3 := must[*ResetResult](t)(env.Reset(ctx, ResetOptions{Seed: Seed(123)})).Obs.Data
	o4 := must[*ResetResult](t)(env.Reset(ctx, ResetOptions{})).Obs.Data
	if string(o1) != string(o3) || string(o2) != string(o4) || string(o1) == string(o2) {
		t.Fatal("the check_env seeding sequence does not hold")
	}
	vec := must[*Env](t)(c.Make(ctx, "MountainCar-v0", MakeOptions{NumEnvs: 3}))
	if !vec.Vectorized || vec.Autoreset != "next_step" {
		t.Fatalf("vector env %+v", vec)
	}
	rows := must[*ResetResult](t)(vec.Reset(ctx, ResetOptions{Seed: Seed(40)})).Obs
	for i := 0; i < 3; i++ {
		single := must[*ResetResult](t)(env.Reset(ctx, ResetOptions{Seed: Seed(uint64(40 + i))})).Obs
		if string(rows.Data[8*i:8*i+8]) != string(single.Data) {
			t.Fatalf("vector env %d differs from a single env seeded %d", i, 40+i)
		}
	}
	s := must[*StepResult](t)(vec.Step(ctx, []int64{0, 1, 2}))
	if len(s.Reward) != 3 || !reflect.DeepEqual(s.EpisodeStep, []int{1, 1, 1}) {
		t.Fatalf("vector step %+v", s)
	}
	s = must[*StepResult](t)(vec.Step(ctx, 2)) // one action broadcast to every env
	if !reflect.DeepEqual(s.EpisodeStep, []int{2, 2, 2}) {
		t.Fatalf("broadcast step %+v", s)
	}
}

func TestAutoresetSameStep(t *testing.T) {
	c := dial(t)
	ctx := context.Background()
	vec := must[*Env](t)(c.Make(ctx, "MountainCar-v0", MakeOptions{NumEnvs: 2, MaxEpisodeSteps: 2, Autoreset: "same_step"}))
	single := must[*Env](t)(c.Make(ctx, "MountainCar-v0", MakeOptions{MaxEpisodeSteps: 2}))
	must[*ResetResult](t)(vec.Reset(ctx, ResetOptions{Seeds: []uint64{8, 9}}))
	must[*ResetResult](t)(single.Reset(ctx, ResetOptions{Seed: Seed(8)}))
	must[*StepResult](t)(vec.Step(ctx, []int64{2, 2}))
	must[*StepResult](t)(single.Step(ctx, 2))
	s := must[*StepResult](t)(vec.Step(ctx, []int64{2, 2}))
	last := must[*StepResult](t)(single.Step(ctx, 2))
	next := must[*ResetResult](t)(single.Reset(ctx, ResetOptions{}))
	if !reflect.DeepEqual(s.Truncated, []bool{true, true}) || !reflect.DeepEqual(s.FinalMask, []bool{true, true}) {
		t.Fatalf("same_step flags %v mask %v", s.Truncated, s.FinalMask)
	}
	if string(s.FinalObs.Data[:8]) != string(last.Obs.Data) || string(s.Obs.Data[:8]) != string(next.Obs.Data) {
		t.Fatal("final_obs / reset obs differ from the single env's")
	}
	if !reflect.DeepEqual(s.EpisodeStep, []int{0, 0}) {
		t.Fatalf("episode_step %v", s.EpisodeStep)
	}
}

func TestErrorsAreTypedAndLeaveTheSession(t *testing.T) {
	c := dial(t)
	ctx := context.Background()
	env := must[*Env](t)(c.Make(ctx, "MountainCar-v0", MakeOptions{}))
	_, err := env.Step(ctx, 1)
	if !errors.Is(err, ErrNotReset) {
		t.Fatalf("step before reset: %v", err)
	}
	must[*ResetResult](t)(env.Reset(ctx, ResetOptions{Seed: Seed(1)}))
	before := must[[]byte](t)(env.GetState(ctx, true))
	_, err = env.Step(ctx, 3)
	var te *Error
	if !errors.As(err, &te) || te.Code != "out_of_bounds" || te.Message == "" || te.Op != "step" {
		t.Fatalf("out of bounds: %v", err)
	}
	if _, err = env.Step(ctx, []float64{1.5}); !errors.Is(err, ErrBadDType) {
		t.Fatalf("float action for a discrete space: %v", err)
	}
	if _, err = env.Step(ctx, Int64Tensor([]int64{1, 1}, 2)); !errors.Is(err, ErrBadShape) {
		t.Fatalf("extra dimension: %v", err)
	}
	if _, err = env.SetContext(ctx, map[string]float64{"gravity": 1}, nil); !errors.Is(err, ErrContextOutOfRange) {
		t.Fatalf("gravity 1: %v", err)
	}
	if _, err = env.SetContext(ctx, map[string]float64{"nope": 1}, nil); !errors.Is(err, ErrUnknownContextKey) {
		t.Fatalf("unknown key: %v", err)
	}
	if after := must[[]byte](t)(env.GetState(ctx, true)); string(after) != string(before) {
		t.Fatal("a refused request changed the session")
	}
	if _, err = c.Make(ctx, "NoSuchEnv-v0", MakeOptions{}); !errors.Is(err, ErrUnknownEnv) {
		t.Fatalf("unknown env: %v", err)
	}
}

func TestRolloutFollowsTheFormulas(t *testing.T) {
	c := dial(t)
	ctx := context.Background()
	env := must[*Env](t)(c.Make(ctx, "MountainCar-v0", MakeOptions{}))
	must[*ResetResult](t)(env.Reset(ctx, ResetOptions{State: []float64{-0.5, 0}}))
	actions := Int32Tensor([]int32{2, 2, 2, 0, 0, 0}, 2, 3)
	if !c.Hello.Supports("rollout") {
		if _, err := env.Rollout(ctx, actions, RolloutOptions{}); !errors.Is(err, ErrUnknownOp) {
			t.Fatalf("rollout on a server without it: %v", err)
		}
		return
	}
	before := must[[]byte](t)(env.GetState(ctx, true))
	r := must[*RolloutResult](t)(env.Rollout(ctx, actions, RolloutOptions{}))
	if r.Obs == nil || !reflect.DeepEqual(r.Obs.Shape, []int{2, 3, 2}) || r.Members != 1 {
		t.Fatalf("rollout shapes %+v", r)
	}
	obs, rew := r.Obs.Float32s(), r.Reward.Float64s()
	for b, a := range []int{2, 0} {
		x, v := -0.5, 0.0
		for k := 0; k < 3; k++ {
			x, v, _ = mountainCarStep(x, v, a, 0.0025)
			i := (b*3 + k) * 2
			if math.Abs(float64(obs[i])-x) > 1e-6 || math.Abs(float64(obs[i+1])-v) > 1e-7 || rew[b*3+k] != -1 {
				t.Fatalf("sequence %d step %d: %v %v, formula %v %v", b, k, obs[i:i+2], rew[b*3+k], x, v)
			}
		}
	}
	if after := must[[]byte](t)(env.GetState(ctx, true)); string(after) != string(before) {
		t.Fatal("a rollout changed the session")
	}
	p := must[*PlanResult](t)(env.Plan(ctx, PlanOptions{Seed: Seed(1), Settings: map[string]any{"candidates": 20, "horizon": 5}}))
	if a := p.Action.Int64s(); len(a) != 1 || a[0] < 0 || a[0] > 2 || math.IsNaN(p.PredictedReturn) {
		t.Fatalf("plan %+v", p)
	}
}

func TestContextChangesTheDynamicsAndSnapshotsReplay(t *testing.T) {
	c := dial(t)
	ctx := context.Background()
	env := must[*Env](t)(c.Make(ctx, "MountainCar-v0", MakeOptions{NumEnvs: 2}))
	got := must[[]map[string]float64](t)(env.SetContexts(ctx, []map[string]float64{{"gravity": 0.0035}}, []int{1}))
	if got[0]["gravity"] != 0.0025 || got[1]["gravity"] != 0.0035 {
		t.Fatalf("contexts %v", got)
	}
	must[*ResetResult](t)(env.Reset(ctx, ResetOptions{State: []float64{-0.5, 0}}))
	s := must[*StepResult](t)(env.Step(ctx, []int64{1, 1}))
	o := s.Obs.Float32s()
	for i, g := range []float64{0.0025, 0.0035} {
		if x, _, _ := mountainCarStep(-0.5, 0, 1, g); math.Abs(float64(o[2*i])-x) > 1e-6 {
			t.Fatalf("env %d: x %v, formula %v", i, o[2*i], x)
		}
	}
	snap := must[[]byte](t)(env.GetState(ctx, true))
	var first, second [][]byte
	for k := 0; k < 5; k++ {
		first = append(first, must[*StepResult](t)(env.Step(ctx, []int64{2, 0})).Obs.Data)
	}
	must[Tensor](t)(env.SetState(ctx, snap))
	for k := 0; k < 5; k++ {
		second = append(second, must[*StepResult](t)(env.Step(ctx, []int64{2, 0})).Obs.Data)
	}
	if !reflect.DeepEqual(first, second) {
		t.Fatal("replay after SetState differs")
	}
	svg := must[string](t)(env.Render(ctx, "svg", 1))
	if len(svg) < 10 || svg[:4] != "<svg" {
		t.Fatalf("render %q", svg)
	}
}

func TestPipelinedRequestsAnswerInOrder(t *testing.T) {
	c := dial(t)
	ctx := context.Background()
	env := must[*Env](t)(c.Make(ctx, "MountainCar-v0", MakeOptions{}))
	must[*ResetResult](t)(env.Reset(ctx, ResetOptions{Seed: Seed(2)}))
	var ids []uint64
	for k := 0; k < 30; k++ {
		op, f := "step", Obj{{"session", env.Handle}, {"action", k % 3}}
		if k%4 == 3 {
			op, f = "get_context", Obj{{"session", env.Handle}}
		}
		ids = append(ids, must[uint64](t)(c.Send(ctx, op, f)))
	}
	if c.InFlight() != 30 {
		t.Fatalf("%d in flight", c.InFlight())
	}
	for k, id := range ids {
		r := must[map[string]any](t)(c.Receive(ctx))
		if uint64(r["id"].(int64)) != id {
			t.Fatalf("reply %d has id %v, want %d", k, r["id"], id)
		}
		if _, isStep := r["obs"]; isStep == (k%4 == 3) {
			t.Fatalf("reply %d is of the wrong op: %v", k, r)
		}
	}
}

func TestContextCancellationInterruptsAWait(t *testing.T) {
	c := dial(t)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	// A request whose reply is never awaited leaves nothing to read: Receive must return when the context ends.
	c.mu.Lock()
	c.pending = append(c.pending, pendingRequest{id: 999999, op: "imaginary"})
	c.mu.Unlock()
	_, err := c.Receive(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Receive after the deadline: %v", err)
	}
}

func TestUndecodableFrameClosesWithItsCode(t *testing.T) {
	c := dial(t)
	ctx := context.Background()
	if err := c.SendFrame(ctx, []byte{0x92, 0x01}); err != nil { // an array of two items, cut short
		t.Fatal(err)
	}
	_, err := c.ReadFrame(ctx)
	var ce *ConnectionError
	if !errors.As(err, &ce) || ce.CloseCode != 1007 || ce.CloseReason == "" {
		t.Fatalf("expected close 1007 with a reason, got %v", err)
	}
	if _, err := c.Request(ctx, "list_envs", nil); err == nil {
		t.Fatal("a request on the closed connection succeeded")
	}
}
