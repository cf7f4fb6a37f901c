// Package twingym is the Go client of TwinGym protocol v1: remote RL environments and learned simulators of them
// behind one step/reset protocol (msgpack over WebSocket).
//
//	c, err := twingym.Dial(ctx, "ws://127.0.0.1:8765")
//	env, err := c.Make(ctx, "CartPole-v0", twingym.MakeOptions{})
//	r, err := env.Reset(ctx, twingym.ResetOptions{Seed: twingym.Seed(0)})
//	s, err := env.Step(ctx, 1)
package twingym

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// ProtocolVersion is the protocol this client speaks; the server's major must match.
const ProtocolVersion = "1.2.0"

// ClientName identifies this client in hello.
const ClientName = "twingym-go/0.1.0"

// Limits are the server limits announced by hello.
type Limits struct {
	MaxFrameBytes            int64
	MaxSessionsPerConnection int64
	MaxEnvsPerSession        int64
	MaxRolloutSteps          int64
	// MaxJobs is how many jobs the server runs at once (0 when a server older than 1.2.0 does not say).
	MaxJobs int64
}

// HelloReply is what the server says about itself.
type HelloReply struct {
	Protocol     string
	Server       string
	Capabilities []string
	Limits       Limits
}

// Supports reports whether the server lists op among its capabilities.
func (h HelloReply) Supports(op string) bool {
	for _, c := range h.Capabilities {
		if c == op {
			return true
		}
	}
	return false
}

// Option configures Dial.
type Option func(*dialConfig)

type dialConfig struct {
	token   string
	noHello bool
	header  http.Header
}

// WithToken sends "Authorization: Bearer token" (servers bound to a non-loopback address require one).
func WithToken(token string) Option { return func(c *dialConfig) { c.token = token } }

// WithoutHello skips the version handshake (hello is optional in protocol v1).
func WithoutHello() Option { return func(c *dialConfig) { c.noHello = true } }

// WithHeader adds HTTP headers to the WebSocket upgrade request.
func WithHeader(h http.Header) Option { return func(c *dialConfig) { c.header = h } }

// Client is one WebSocket connection to a server. Its methods are safe for concurrent use; requests are answered
// in order, and Send/Receive allow several requests in flight.
//
// Server events (frames with an "event" key and neither id nor ok, such as job_progress) are never taken for
// replies: whenever the client reads, each one is handed to the listeners added with OnEvent and kept in Events,
// whatever its name, so events this client does not know are ignored.
type Client struct {
	ws      *websocket.Conn
	mu      sync.Mutex
	nextID  uint64
	pending []pendingRequest
	closed  bool
	// Hello is the server's hello reply (zero when WithoutHello was given).
	Hello HelloReply
	// Events holds the last EventHistory server events received (read it while no request is running).
	Events []map[string]any

	lmu       sync.Mutex
	listeners []*eventListener
}

// EventHistory is how many events Client.Events keeps (the oldest are dropped first).
const EventHistory = 1000

// Event is a server event frame: its Name, the JobInfo of job events, and the frame as sent.
type Event struct {
	Name string
	// Job is set for job_progress and job_finished.
	Job *JobInfo
	Raw map[string]any
}

type eventListener struct{ fn func(Event) }

// OnEvent calls fn for every event frame read from now on (while a reply or a job is awaited) and returns a function
// that removes it. fn runs on the goroutine reading the connection, which holds the client: it must not use this
// Client, and should return quickly.
func (c *Client) OnEvent(fn func(Event)) (remove func()) {
	l := &eventListener{fn}
	c.lmu.Lock()
	c.listeners = append(c.listeners, l)
	c.lmu.Unlock()
	return func() {
		c.lmu.Lock()
		defer c.lmu.Unlock()
		for i, x := range c.listeners {
			if x == l {
				c.listeners = append(c.listeners[:i:i], c.listeners[i+1:]...)
				return
			}
		}
	}
}

// isEvent reports whether a frame is a server event: a string "event" and neither "id" nor "ok".
func isEvent(m map[string]any) bool {
	if _, ok := m["event"].(string); !ok {
		return false
	}
	_, hasID := m["id"]
	_, hasOK := m["ok"]
	return !hasID && !hasOK
}

// dispatch records an event and hands it to the listeners; c.mu is held by the caller.
func (c *Client) dispatch(m map[string]any) {
	if len(c.Events) >= EventHistory {
		c.Events = append(c.Events[:0:0], c.Events[len(c.Events)-EventHistory+1:]...)
	}
	c.Events = append(c.Events, m)
	ev := Event{Raw: m}
	ev.Name, _ = m["event"].(string)
	if jm, ok := m["job"].(map[string]any); ok {
		j := parseJob(jm)
		ev.Job = &j
	}
	c.lmu.Lock()
	ls := append([]*eventListener(nil), c.listeners...)
	c.lmu.Unlock()
	for _, l := range ls {
		l.fn(ev)
	}
}

type pendingRequest struct {
	id uint64
	op string
}

// NormalizeURL turns ws://host:port, http(s)://host:port or host:port into the WebSocket endpoint URL.
func NormalizeURL(raw string) (string, error) {
	if !strings.Contains(raw, "://") {
		raw = "ws://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	switch u.Scheme {
	case "http":
		u.Scheme = "ws"
	case "https":
		u.Scheme = "wss"
	case "ws", "wss":
	default:
		return "", fmt.Errorf("twingym: unsupported URL scheme %q; use ws:// or wss://", u.Scheme)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/v1/ws"
	}
	return u.String(), nil
}

// Dial connects to the server at rawURL and, unless WithoutHello is given, runs the version handshake.
func Dial(ctx context.Context, rawURL string, opts ...Option) (*Client, error) {
	cfg := dialConfig{}
	for _, o := range opts {
		o(&cfg)
	}
	endpoint, err := NormalizeURL(rawURL)
	if err != nil {
		return nil, err
	}
	header := http.Header{}
	for k, v := range cfg.header {
		header[k] = v
	}
	if cfg.token != "" {
		header.Set("Authorization", "Bearer "+cfg.token)
	}
	dialer := websocket.Dialer{HandshakeTimeout: 30 * time.Second, ReadBufferSize: 64 << 10, WriteBufferSize: 64 << 10}
	ws, resp, err := dialer.DialContext(ctx, endpoint, header)
	if err != nil {
		if resp != nil {
			return nil, &ConnectionError{Err: fmt.Errorf("upgrade refused with HTTP %d: %w", resp.StatusCode, err)}
		}
		return nil, &ConnectionError{Err: err}
	}
	ws.SetReadLimit(-1)
	c := &Client{ws: ws, nextID: 1}
	if !cfg.noHello {
		h, err := c.Request(ctx, "hello", Obj{{"protocol", ProtocolVersion}, {"client", ClientName}})
		if err != nil {
			ws.Close()
			return nil, err
		}
		c.Hello = parseHello(h)
	}
	return c, nil
}

func parseHello(m map[string]any) HelloReply {
	h := HelloReply{}
	h.Protocol, _ = m["protocol"].(string)
	h.Server, _ = m["server"].(string)
	if caps, ok := m["capabilities"].([]any); ok {
		for _, c := range caps {
			if s, ok := c.(string); ok {
				h.Capabilities = append(h.Capabilities, s)
			}
		}
	}
	if l, ok := m["limits"].(map[string]any); ok {
		h.Limits = Limits{toInt64(l["max_frame_bytes"]), toInt64(l["max_sessions_per_connection"]),
			toInt64(l["max_envs_per_session"]), toInt64(l["max_rollout_steps"]), toInt64(l["max_jobs"])}
	}
	return h
}

// Request sends one request and waits for its reply. An error reply is returned as *Error.
func (c *Client) Request(ctx context.Context, op string, fields Obj) (map[string]any, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := c.send(ctx, op, fields); err != nil {
		return nil, err
	}
	return c.receive(ctx, true)
}

// Send sends a request without waiting and returns its id; collect replies, in order, with Receive.
func (c *Client) Send(ctx context.Context, op string, fields Obj) (uint64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.send(ctx, op, fields)
}

// Receive waits for the reply to the oldest request in flight. Error replies are returned as *Error.
func (c *Client) Receive(ctx context.Context) (map[string]any, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.receive(ctx, true)
}

// ReceiveRaw is Receive without turning error replies into errors: the reply map is returned as sent.
func (c *Client) ReceiveRaw(ctx context.Context) (map[string]any, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.receive(ctx, false)
}

// SendFrame sends bytes as one binary frame, untouched (for testing servers with malformed input).
func (c *Client) SendFrame(ctx context.Context, frame []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.write(ctx, frame)
}

// ReadFrame reads and decodes the next frame, untouched by reply bookkeeping.
func (c *Client) ReadFrame(ctx context.Context) (any, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.read(ctx)
}

func (c *Client) send(ctx context.Context, op string, fields Obj) (uint64, error) {
	if c.closed {
		return 0, &ConnectionError{Err: errors.New("the client is closed")}
	}
	id := c.nextID
	c.nextID++
	msg := make(Obj, 0, len(fields)+2)
	msg = append(msg, Field{"id", id}, Field{"op", op})
	msg = append(msg, fields...)
	frame, err := Marshal(msg)
	if err != nil {
		return 0, err
	}
	if err := c.write(ctx, frame); err != nil {
		return 0, err
	}
	c.pending = append(c.pending, pendingRequest{id, op})
	return id, nil
}

func (c *Client) write(ctx context.Context, frame []byte) error {
	if dl, ok := ctx.Deadline(); ok {
		c.ws.SetWriteDeadline(dl)
		defer c.ws.SetWriteDeadline(time.Time{})
	}
	if err := c.ws.WriteMessage(websocket.BinaryMessage, frame); err != nil {
		return c.connErr(err)
	}
	return nil
}

func (c *Client) read(ctx context.Context) (any, error) {
	if dl, ok := ctx.Deadline(); ok {
		c.ws.SetReadDeadline(dl)
		defer c.ws.SetReadDeadline(time.Time{})
	}
	if ctx.Done() != nil {
		// Cancellation interrupts the read; the connection is then unusable (its replies would be out of step).
		stop := context.AfterFunc(ctx, func() { c.ws.SetReadDeadline(time.Now()) })
		defer stop()
	}
	for {
		kind, data, err := c.ws.ReadMessage()
		if err != nil {
			if ctx.Err() != nil {
				c.closed = true
				return nil, ctx.Err()
			}
			if dl, ok := ctx.Deadline(); ok && !time.Now().Before(dl) {
				c.closed = true
				return nil, context.DeadlineExceeded
			}
			return nil, c.connErr(err)
		}
		if kind == websocket.TextMessage {
			return nil, &ProtocolError{"the server sent a text frame"}
		}
		v, err := Unmarshal(data)
		if err != nil {
			return nil, &ProtocolError{err.Error()}
		}
		return v, nil
	}
}

func (c *Client) receive(ctx context.Context, raiseErrors bool) (map[string]any, error) {
	if len(c.pending) == 0 {
		return nil, &ProtocolError{"no request is in flight"}
	}
	var m map[string]any
	for {
		v, err := c.read(ctx)
		if err != nil {
			return nil, err
		}
		mm, ok := v.(map[string]any)
		if !ok {
			return nil, &ProtocolError{fmt.Sprintf("a reply is not a map: %T", v)}
		}
		if isEvent(mm) {
			c.dispatch(mm)
			continue
		}
		m = mm
		break
	}
	p := c.pending[0]
	c.pending = c.pending[1:]
	if id, ok := m["id"].(int64); !ok || uint64(id) != p.id {
		return nil, &ProtocolError{fmt.Sprintf("reply id %v does not match the oldest request in flight (%s #%d)", m["id"], p.op, p.id)}
	}
	if ok, _ := m["ok"].(bool); !ok && raiseErrors {
		return nil, errorFromReply(m, p.op)
	}
	return m, nil
}

func (c *Client) connErr(err error) error {
	c.closed = true
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		return &ConnectionError{CloseCode: ce.Code, CloseReason: ce.Text, Err: err}
	}
	return &ConnectionError{Err: err}
}

// InFlight is the number of requests sent whose replies have not been received.
func (c *Client) InFlight() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.pending)
}

// Close closes the connection; the server frees every session made on it. Closing twice is harmless.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""),
		time.Now().Add(time.Second))
	return c.ws.Close()
}

// ListEnvs returns every environment the server offers.
func (c *Client) ListEnvs(ctx context.Context) ([]EnvSpec, error) {
	r, err := c.Request(ctx, "list_envs", nil)
	if err != nil {
		return nil, err
	}
	raw, _ := r["envs"].([]any)
	out := make([]EnvSpec, 0, len(raw))
	for _, e := range raw {
		m, _ := e.(map[string]any)
		spec, err := parseEnvSpec(m)
		if err != nil {
			return nil, err
		}
		out = append(out, spec)
	}
	return out, nil
}

func toInt64(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case uint64:
		return int64(x)
	case float64:
		return int64(x)
	}
	return 0
}

func toFloat64(v any) float64 {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case uint64:
		return float64(x)
	case float64:
		return x
	}
	return 0
}
