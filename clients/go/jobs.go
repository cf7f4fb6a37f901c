package twingym

// Learned models and long-running jobs (protocol 1.2): list_models, start_job, job_status, list_jobs, cancel_job,
// compare, and waiting for a job through its job_progress / job_finished events with job_status polling as the
// fall-back.

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// ModelInfo is one learned model a server can serve (list_models).
type ModelInfo struct {
	ID          string
	Kind        string
	EnvID       string
	EnvOptions  map[string]any
	Created     string
	Description string
	Members     int
	// Agents is the number of trained agents of a PerSim model; nil for models without agents.
	Agents *int
	// TestAgents are the agents held out for evaluation; ContextNames the parameters the agents differ in.
	TestAgents   []int
	ContextNames []string
	// Metadata holds kind-specific facts (hyper-parameters, dataset, metrics).
	Metadata map[string]any
	Raw      map[string]any
}

func parseModel(m map[string]any) ModelInfo {
	mi := ModelInfo{Raw: m}
	mi.ID, _ = m["id"].(string)
	mi.Kind, _ = m["kind"].(string)
	mi.EnvID, _ = m["env_id"].(string)
	mi.EnvOptions, _ = m["env_options"].(map[string]any)
	mi.Created, _ = m["created"].(string)
	mi.Description, _ = m["description"].(string)
	mi.Members = int(toInt64(m["members"]))
	if m["agents"] != nil {
		a := int(toInt64(m["agents"]))
		mi.Agents = &a
	}
	mi.TestAgents = intList(m["test_agents"])
	mi.ContextNames = stringList(m["context_names"])
	mi.Metadata, _ = m["metadata"].(map[string]any)
	return mi
}

// ListModels returns every learned model the server serves, or those of envID when it is not empty.
func (c *Client) ListModels(ctx context.Context, envID string) ([]ModelInfo, error) {
	var f Obj
	if envID != "" {
		f = Obj{{"env_id", envID}}
	}
	r, err := c.Request(ctx, "list_models", f)
	if err != nil {
		return nil, err
	}
	raw, _ := r["models"].([]any)
	out := make([]ModelInfo, 0, len(raw))
	for _, x := range raw {
		m, _ := x.(map[string]any)
		out = append(out, parseModel(m))
	}
	return out, nil
}

// Job states; Succeeded, Failed and Cancelled are final.
const (
	JobQueued    = "queued"
	JobRunning   = "running"
	JobSucceeded = "succeeded"
	JobFailed    = "failed"
	JobCancelled = "cancelled"
)

// JobProgress is how far a job is: Done of Total Unit (epochs, steps, episodes), a human Message and kind-specific
// Metrics.
type JobProgress struct {
	Done, Total float64
	Unit        string
	Message     string
	Metrics     map[string]float64
}

// Fraction is Done/Total clipped to [0, 1]; 0 while the total is unknown.
func (p JobProgress) Fraction() float64 {
	if p.Total <= 0 {
		return 0
	}
	f := p.Done / p.Total
	if f < 0 {
		return 0
	}
	if f > 1 {
		return 1
	}
	return f
}

// JobInfo is a job as the server reports it. Started and Finished are empty until the job started or stopped;
// Result is set once it succeeded (collect: {dataset, rows}; train_persim: {model, metrics}), Error once it failed.
type JobInfo struct {
	ID       string
	Kind     string
	State    string
	Params   map[string]any
	Progress JobProgress
	Created  string
	Started  string
	Finished string
	Result   map[string]any
	Error    *Error
	Raw      map[string]any
}

// Done reports whether the job succeeded, failed or was cancelled.
func (j JobInfo) Done() bool {
	return j.State == JobSucceeded || j.State == JobFailed || j.State == JobCancelled
}

// ErrJobCancelled is returned by JobInfo.Err for a cancelled job.
var ErrJobCancelled = errors.New("twingym: the job was cancelled")

// Err is nil unless the job failed (its *Error, matching the Err* sentinels by code) or was cancelled
// (ErrJobCancelled).
func (j JobInfo) Err() error {
	switch j.State {
	case JobFailed:
		if j.Error != nil {
			return j.Error
		}
		return &Error{Code: "internal", Message: "the job failed without an error", Op: "job " + j.ID}
	case JobCancelled:
		return fmt.Errorf("job %s (%s): %w", j.ID, j.Kind, ErrJobCancelled)
	}
	return nil
}

func parseJob(m map[string]any) JobInfo {
	j := JobInfo{Raw: m}
	j.ID, _ = m["id"].(string)
	j.Kind, _ = m["kind"].(string)
	j.State, _ = m["state"].(string)
	j.Params, _ = m["params"].(map[string]any)
	if p, ok := m["progress"].(map[string]any); ok {
		j.Progress = JobProgress{Done: toFloat64(p["done"]), Total: toFloat64(p["total"])}
		j.Progress.Unit, _ = p["unit"].(string)
		j.Progress.Message, _ = p["message"].(string)
		if mm, ok := p["metrics"].(map[string]any); ok {
			j.Progress.Metrics = make(map[string]float64, len(mm))
			for k, v := range mm {
				j.Progress.Metrics[k] = toFloat64(v)
			}
		}
	}
	j.Created, _ = m["created"].(string)
	j.Started, _ = m["started"].(string)
	j.Finished, _ = m["finished"].(string)
	j.Result, _ = m["result"].(map[string]any)
	if em, ok := m["error"].(map[string]any); ok {
		j.Error = errorFromReply(map[string]any{"error": em}, "job "+j.ID)
	}
	return j
}

func jobReply(r map[string]any) *JobInfo {
	m, _ := r["job"].(map[string]any)
	j := parseJob(m)
	return &j
}

// StartJobOptions are start_job's optional fields.
type StartJobOptions struct {
	// NoSubscribe asks the server not to send this job's events to this connection (WaitJob then polls).
	NoSubscribe bool
}

// StartJob starts a job of kind ("collect", "train_persim", "compare", ...) with params. An unknown kind or invalid
// params answer ErrInvalidArgument, a full job queue ErrBusy.
func (c *Client) StartJob(ctx context.Context, kind string, params map[string]any, o StartJobOptions) (*JobInfo, error) {
	if params == nil {
		params = map[string]any{}
	}
	f := Obj{{"kind", kind}, {"params", params}}
	if o.NoSubscribe {
		f = append(f, Field{"subscribe", false})
	}
	r, err := c.Request(ctx, "start_job", f)
	if err != nil {
		return nil, err
	}
	return jobReply(r), nil
}

// JobStatus returns the job's current state; an id the server does not know answers ErrUnknownJob.
func (c *Client) JobStatus(ctx context.Context, id string) (*JobInfo, error) {
	r, err := c.Request(ctx, "job_status", Obj{{"job", id}})
	if err != nil {
		return nil, err
	}
	return jobReply(r), nil
}

// ListJobs returns every job of the server, newest first.
func (c *Client) ListJobs(ctx context.Context) ([]JobInfo, error) {
	r, err := c.Request(ctx, "list_jobs", nil)
	if err != nil {
		return nil, err
	}
	raw, _ := r["jobs"].([]any)
	out := make([]JobInfo, 0, len(raw))
	for _, x := range raw {
		m, _ := x.(map[string]any)
		out = append(out, parseJob(m))
	}
	return out, nil
}

// CancelJob asks the server to stop a job and returns it as it is now (its state becomes "cancelled" once it
// stopped; a finished job comes back unchanged).
func (c *Client) CancelJob(ctx context.Context, id string) (*JobInfo, error) {
	r, err := c.Request(ctx, "cancel_job", Obj{{"job", id}})
	if err != nil {
		return nil, err
	}
	return jobReply(r), nil
}

// WaitOptions configure WaitJob.
type WaitOptions struct {
	// OnProgress is called with every new state or progress of the job, the final one included. It runs on the
	// waiting goroutine and must not use the Client.
	OnProgress func(JobInfo)
	// PollInterval is how long WaitJob waits for an event before it asks job_status (default 1 s).
	PollInterval time.Duration
}

// WaitJob waits until the job succeeded, failed or was cancelled and returns its final JobInfo (a failed job is not
// an error of WaitJob: check JobInfo.Err). Progress comes from the job's events when this connection subscribed to
// it, and from job_status every PollInterval without events (jobs started elsewhere or unsubscribed).
//
// The wait holds the connection: other requests on this Client wait until it returns, so run concurrent work on
// another Client. When ctx ends first, WaitJob returns the last JobInfo seen with ctx's error, the job keeps running
// and the connection stays usable.
func (c *Client) WaitJob(ctx context.Context, id string, o WaitOptions) (*JobInfo, error) {
	interval := o.PollInterval
	if interval <= 0 {
		interval = time.Second
	}
	// Another goroutine may read this job's events between the first job_status and the wait itself.
	var seenMu sync.Mutex
	var seen []Event
	remove := c.OnEvent(func(ev Event) {
		if ev.Job != nil && ev.Job.ID == id && (ev.Name == "job_progress" || ev.Name == "job_finished") {
			seenMu.Lock()
			seen = append(seen, ev)
			seenMu.Unlock()
		}
	})
	defer remove()

	var latest *JobInfo
	finished := false
	var lastKey string
	take := func(j JobInfo, final bool) {
		latest = &j
		finished = finished || final || j.Done()
		key := fmt.Sprintf("%s|%v|%v|%s", j.State, j.Progress.Done, j.Progress.Total, j.Progress.Message)
		if o.OnProgress != nil && key != lastKey {
			lastKey = key
			o.OnProgress(j)
		}
	}
	drain := func() {
		seenMu.Lock()
		batch := seen
		seen = nil
		seenMu.Unlock()
		for _, ev := range batch {
			if finished {
				break
			}
			take(*ev.Job, ev.Name == "job_finished")
		}
	}

	first, err := c.JobStatus(ctx, id)
	if err != nil {
		return nil, err
	}
	drain()
	if !finished {
		take(*first, false)
	}
	if finished {
		return latest, nil
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return latest, &ConnectionError{Err: errors.New("the client is closed")}
	}
	if len(c.pending) > 0 {
		return latest, &ProtocolError{"WaitJob needs a connection with no request in flight"}
	}
	// Reads are never ended by a deadline (gorilla/websocket cannot read again after one): a poller goroutine sends
	// job_status when no event came for a while or ctx ended, and its reply ends the wait for a frame.
	p := &poller{c: c, job: id}
	p.prepare()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-ctx.Done():
				p.send()
				<-stop
				return
			case <-t.C:
				if !p.eventSince() {
					p.send()
				}
			}
		}
	}()
	stopPoller := func() {
		close(stop)
		wg.Wait()
	}
	background := context.Background()
	for {
		if finished || (ctx.Err() != nil && !p.isOutstanding()) {
			break
		}
		v, err := c.read(background)
		if err != nil {
			stopPoller()
			return latest, err
		}
		m, ok := v.(map[string]any)
		if !ok {
			stopPoller()
			return latest, &ProtocolError{fmt.Sprintf("a frame is not a map: %T", v)}
		}
		if isEvent(m) {
			p.noteEvent()
			c.dispatch(m)
			drain()
			continue
		}
		if err := p.answered(m); err != nil {
			stopPoller()
			return latest, err
		}
		drain() // events read while the status was on its way are older than it
		if ok, _ := m["ok"].(bool); !ok {
			stopPoller()
			return latest, errorFromReply(m, "job_status")
		}
		if !finished {
			take(*jobReply(m), false)
		}
	}
	stopPoller()
	// A poll sent just before the end is still owed a reply: read it so the connection stays in step.
	for p.isOutstanding() {
		v, err := c.read(background)
		if err != nil {
			return latest, err
		}
		m, _ := v.(map[string]any)
		if m != nil && isEvent(m) {
			c.dispatch(m)
			continue
		}
		if err := p.answered(m); err != nil {
			return latest, err
		}
	}
	if finished {
		return latest, nil
	}
	return latest, ctx.Err()
}

// poller owns the job_status requests WaitJob sends from its timer goroutine while the waiting goroutine reads. At
// most one is in flight; its id is reserved (under c.mu, held by WaitJob) before the timer may send it.
type poller struct {
	c           *Client
	job         string
	mu          sync.Mutex
	frame       []byte
	id          uint64
	outstanding bool
	event       bool
	err         error
}

func (p *poller) prepare() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.id = p.c.nextID
	p.c.nextID++
	p.frame, p.err = Marshal(Obj{{"id", p.id}, {"op", "job_status"}, {"job", p.job}})
}

// send writes the prepared job_status unless one is already in flight; WaitJob holds c.mu, so no other goroutine
// writes to the socket meanwhile (gorilla allows one writer next to the reader).
func (p *poller) send() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.outstanding || p.err != nil {
		return
	}
	if err := p.c.ws.WriteMessage(websocket.BinaryMessage, p.frame); err != nil {
		p.err = err
		return
	}
	p.outstanding = true
}

func (p *poller) isOutstanding() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.outstanding
}

func (p *poller) noteEvent() {
	p.mu.Lock()
	p.event = true
	p.mu.Unlock()
}

// eventSince reports (and resets) whether an event arrived since the last tick.
func (p *poller) eventSince() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	e := p.event
	p.event = false
	return e
}

// answered checks that a reply answers the poll in flight and prepares the next poll.
func (p *poller) answered(m map[string]any) error {
	p.mu.Lock()
	outstanding, want := p.outstanding, p.id
	p.mu.Unlock()
	if m == nil {
		return &ProtocolError{"a frame is not a map"}
	}
	if id, ok := m["id"].(int64); !outstanding || !ok || uint64(id) != want {
		return &ProtocolError{fmt.Sprintf("reply id %v while waiting for a job (expected the job_status poll #%d)", m["id"], want)}
	}
	p.mu.Lock()
	p.outstanding = false
	p.mu.Unlock()
	p.prepare()
	return nil
}

// CompareOptions are the fields of compare (and of a "compare" job). Zero values leave the server's defaults.
type CompareOptions struct {
	Model    string
	Agent    int
	Episodes int
	Seed     *uint64
	Warmup   *int
	Horizon  int
	Policy   string
}

// MeanMedian is a metric's mean and median over episodes.
type MeanMedian struct{ Mean, Median float64 }

// CompareResult is PerSim's model-versus-environment comparison for one agent.
type CompareResult struct {
	EnvID, Model     string
	Agent, Episodes  int
	Policy           string
	Warmup, Horizon  int
	RMSE, R2         MeanMedian
	PerDimensionRMSE []float64
	Raw              map[string]any
}

// Params is the comparison as start_job params of kind "compare".
func (o CompareOptions) Params() map[string]any {
	p := map[string]any{"model": o.Model, "agent": o.Agent}
	if o.Episodes > 0 {
		p["episodes"] = o.Episodes
	}
	if o.Seed != nil {
		p["seed"] = *o.Seed
	}
	if o.Warmup != nil {
		p["warmup"] = *o.Warmup
	}
	if o.Horizon > 0 {
		p["horizon"] = o.Horizon
	}
	if o.Policy != "" {
		p["policy"] = o.Policy
	}
	return p
}

// Compare runs PerSim's comparison synchronously on the server (start a "compare" job with o.Params() for big runs).
func (c *Client) Compare(ctx context.Context, o CompareOptions) (*CompareResult, error) {
	f := Obj{{"model", o.Model}, {"agent", o.Agent}}
	if o.Episodes > 0 {
		f = append(f, Field{"episodes", o.Episodes})
	}
	if o.Seed != nil {
		f = append(f, Field{"seed", *o.Seed})
	}
	if o.Warmup != nil {
		f = append(f, Field{"warmup", *o.Warmup})
	}
	if o.Horizon > 0 {
		f = append(f, Field{"horizon", o.Horizon})
	}
	if o.Policy != "" {
		f = append(f, Field{"policy", o.Policy})
	}
	r, err := c.Request(ctx, "compare", f)
	if err != nil {
		return nil, err
	}
	return parseCompare(r), nil
}

func parseCompare(r map[string]any) *CompareResult {
	out := &CompareResult{Raw: r}
	out.EnvID, _ = r["env_id"].(string)
	out.Model, _ = r["model"].(string)
	out.Agent = int(toInt64(r["agent"]))
	out.Episodes = int(toInt64(r["episodes"]))
	out.Policy, _ = r["policy"].(string)
	out.Warmup = int(toInt64(r["warmup"]))
	out.Horizon = int(toInt64(r["horizon"]))
	mm := func(v any) MeanMedian {
		m, _ := v.(map[string]any)
		return MeanMedian{toFloat64(m["mean"]), toFloat64(m["median"])}
	}
	out.RMSE, out.R2 = mm(r["rmse"]), mm(r["r2"])
	raw, _ := r["per_dimension_rmse"].([]any)
	for _, x := range raw {
		out.PerDimensionRMSE = append(out.PerDimensionRMSE, toFloat64(x))
	}
	return out
}

func intList(v any) []int {
	raw, _ := v.([]any)
	out := make([]int, 0, len(raw))
	for _, x := range raw {
		out = append(out, int(toInt64(x)))
	}
	return out
}

// Int returns a pointer to v, for optional integer fields such as CompareOptions.Warmup.
func Int(v int) *int { return &v }
