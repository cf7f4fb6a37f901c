package twingym

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// fakeServer answers every request with handle(request) frames, in order: a way to put events (known and unknown)
// exactly where a test wants them, which a real server does not allow.
func fakeServer(t *testing.T, handle func(req map[string]any) []Obj) string {
	t.Helper()
	up := websocket.Upgrader{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		for {
			_, data, err := ws.ReadMessage()
			if err != nil {
				return
			}
			v, err := Unmarshal(data)
			if err != nil {
				return
			}
			for _, out := range handle(v.(map[string]any)) {
				frame, _ := Marshal(out)
				if ws.WriteMessage(websocket.BinaryMessage, frame) != nil {
					return
				}
			}
		}
	}))
	t.Cleanup(srv.Close)
	return "ws://" + strings.TrimPrefix(srv.URL, "http://")
}

func fakeJob(state string, done float64) Obj {
	var finished any
	if state == JobSucceeded {
		finished = "2025-01-01T00:00:02Z"
	}
	return Obj{{"id", "job-1"}, {"kind", "collect"}, {"state", state}, {"params", map[string]any{}},
		{"progress", Obj{{"done", done}, {"total", 4.0}, {"unit", "steps"}}}, {"created", "2025-01-01T00:00:00Z"},
		{"started", "2025-01-01T00:00:01Z"}, {"finished", finished}, {"result", nil}, {"error", nil}}
}

func TestUnknownEventsAreIgnoredAndJobEventsEndAWait(t *testing.T) {
	url := fakeServer(t, func(req map[string]any) []Obj {
		id := req["id"]
		switch req["op"] {
		case "job_status":
			// The status says running; the events that follow carry the rest of the job.
			return []Obj{{{"event", "from_a_later_minor"}, {"x", 1}}, {{"id", id}, {"ok", true}, {"job", fakeJob(JobRunning, 1)}},
				{{"event", "job_progress"}, {"job", fakeJob(JobRunning, 3)}}, {{"event", "job_finished"}, {"job", fakeJob(JobSucceeded, 4)}}}
		default:
			return []Obj{{{"event", "from_a_later_minor"}}, {{"id", id}, {"ok", true}, {"envs", []any{}}}}
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := must[*Client](t)(Dial(ctx, url, WithoutHello()))
	defer c.Close()
	var names []string
	c.OnEvent(func(e Event) { names = append(names, e.Name) })
	if envs := must[[]EnvSpec](t)(c.ListEnvs(ctx)); len(envs) != 0 {
		t.Fatalf("envs %v", envs)
	}
	var seen []float64
	final := must[*JobInfo](t)(c.WaitJob(ctx, "job-1", WaitOptions{PollInterval: time.Hour,
		OnProgress: func(j JobInfo) { seen = append(seen, j.Progress.Done) }}))
	if final.State != JobSucceeded || final.Progress.Done != 4 {
		t.Fatalf("final %+v", final)
	}
	// The first status (done 1) and both events, in order; the long poll interval proves the events ended the wait.
	if len(seen) != 3 || seen[0] != 1 || seen[1] != 3 || seen[2] != 4 {
		t.Fatalf("progress %v", seen)
	}
	if strings.Join(names, ",") != "from_a_later_minor,from_a_later_minor,job_progress,job_finished" {
		t.Fatalf("listener saw %v", names)
	}
	if len(c.Events) != 4 {
		t.Fatalf("%d events kept", len(c.Events))
	}
	must[[]EnvSpec](t)(c.ListEnvs(ctx)) // still in step
}

func TestWaitJobPollsAFakeServerUntilTheJobEnds(t *testing.T) {
	var polls atomic.Int64
	url := fakeServer(t, func(req map[string]any) []Obj {
		n := polls.Add(1)
		state, done := JobRunning, float64(n)
		if n == 4 {
			state = JobSucceeded
		}
		return []Obj{{{"id", req["id"]}, {"ok", true}, {"job", fakeJob(state, done)}}}
	})
	ctx := context.Background()
	c := must[*Client](t)(Dial(ctx, url, WithoutHello()))
	defer c.Close()
	start := time.Now()
	final := must[*JobInfo](t)(c.WaitJob(ctx, "job-1", WaitOptions{PollInterval: 20 * time.Millisecond}))
	if final.State != JobSucceeded || polls.Load() != 4 || time.Since(start) > 5*time.Second {
		t.Fatalf("final %+v after %d polls", final, polls.Load())
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	// Polls 5 and on answer running: the job never ends now.
	latest, err := c.WaitJob(short, "job-1", WaitOptions{PollInterval: 10 * time.Millisecond})
	if err != context.DeadlineExceeded || latest == nil || latest.State != JobRunning {
		t.Fatalf("WaitJob past its deadline: %v %+v", err, latest)
	}
	if _, err := c.JobStatus(ctx, "job-1"); err != nil { // the connection stayed in step
		t.Fatal(err)
	}
}
