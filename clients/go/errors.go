package twingym

import (
	"fmt"
)

// Error is an error reply of the server: a stable Code, a Message naming the cause and the fix, and Details.
// Compare codes with errors.Is(err, twingym.ErrOutOfBounds) or read Code after errors.As.
type Error struct {
	Code    string
	Message string
	Details map[string]any
	// Op is the request's op, when known.
	Op string
}

// Error formats the code, op and message.
func (e *Error) Error() string {
	if e.Op != "" {
		return fmt.Sprintf("twingym: [%s] (%s) %s", e.Code, e.Op, e.Message)
	}
	return fmt.Sprintf("twingym: [%s] %s", e.Code, e.Message)
}

// Is matches another *Error with the same code: the Err* sentinels below work with errors.Is.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

func codeErr(code string) *Error { return &Error{Code: code, Message: "any " + code + " error"} }

// Sentinels for errors.Is, one per documented code (protocol/ts/errors.ts).
var (
	ErrInvalidRequest     = codeErr("invalid_request")
	ErrInvalidArgument    = codeErr("invalid_argument")
	ErrUnknownOp          = codeErr("unknown_op")
	ErrUnknownField       = codeErr("unknown_field")
	ErrUnsupportedVersion = codeErr("unsupported_version")
	ErrUnauthorized       = codeErr("unauthorized")
	ErrUnknownEnv         = codeErr("unknown_env")
	ErrUnknownEnvOption   = codeErr("unknown_env_option")
	ErrUnknownSession     = codeErr("unknown_session")
	ErrUnknownDynamics    = codeErr("unknown_dynamics")
	ErrUnknownJob         = codeErr("unknown_job")
	ErrUnknownDataset     = codeErr("unknown_dataset")
	ErrUnknownContextKey  = codeErr("unknown_context_key")
	ErrContextOutOfRange  = codeErr("context_out_of_range")
	ErrBadDType           = codeErr("bad_dtype")
	ErrBadShape           = codeErr("bad_shape")
	ErrBadTensor          = codeErr("bad_tensor")
	ErrOutOfBounds        = codeErr("out_of_bounds")
	ErrNotReset           = codeErr("not_reset")
	ErrNeedsReset         = codeErr("needs_reset")
	ErrBadState           = codeErr("bad_state")
	ErrUnsupported        = codeErr("unsupported")
	ErrTooManySessions    = codeErr("too_many_sessions")
	ErrTooManyEnvs        = codeErr("too_many_envs")
	ErrFrameTooLarge      = codeErr("frame_too_large")
	ErrBatchTooLarge      = codeErr("batch_too_large")
	ErrBusy               = codeErr("busy")
	ErrInternal           = codeErr("internal")
)

// ErrorCodes lists every documented code, in the order of protocol/ts/errors.ts.
var ErrorCodes = []string{
	"invalid_request", "invalid_argument", "unknown_op", "unknown_field", "unsupported_version", "unauthorized",
	"unknown_env", "unknown_env_option", "unknown_session", "unknown_dynamics", "unknown_job", "unknown_dataset",
	"unknown_context_key", "context_out_of_range", "bad_dtype", "bad_shape", "bad_tensor", "out_of_bounds", "not_reset", "needs_reset",
	"bad_state", "unsupported", "too_many_sessions", "too_many_envs", "frame_too_large", "batch_too_large", "busy",
	"internal",
}

// ConnectionError reports that the WebSocket failed or was closed; CloseCode and CloseReason say why when the server
// sent a close frame (e.g. 1007 for an undecodable frame).
type ConnectionError struct {
	CloseCode   int
	CloseReason string
	Err         error
}

// Error describes the failure.
func (e *ConnectionError) Error() string {
	if e.CloseCode != 0 {
		return fmt.Sprintf("twingym: connection closed (%d: %s)", e.CloseCode, e.CloseReason)
	}
	return fmt.Sprintf("twingym: connection failed: %v", e.Err)
}

// Unwrap returns the underlying transport error.
func (e *ConnectionError) Unwrap() error { return e.Err }

// ProtocolError reports a server reply that protocol v1 does not allow (out of order, not a reply map).
type ProtocolError struct{ Message string }

// Error returns the message.
func (e *ProtocolError) Error() string { return "twingym: protocol violation: " + e.Message }

func errorFromReply(m map[string]any, op string) *Error {
	em, _ := m["error"].(map[string]any)
	e := &Error{Op: op, Details: map[string]any{}}
	if em != nil {
		e.Code, _ = em["code"].(string)
		e.Message, _ = em["message"].(string)
		if d, ok := em["details"].(map[string]any); ok {
			e.Details = d
		}
	}
	if e.Code == "" {
		e.Code = "internal"
	}
	return e
}
