/**
 * The stable error codes of protocol v1. Each reply error is {code, message, details}; the message is written for the
 * case at hand, these texts say what the code means in general and what usually fixes it, and `http` is the status the
 * HTTP JSON API answers with (404 only where a named resource is missing). The spec's error table is
 * generated from this object, so it is the one place to add a code.
 */
export const ERROR_CODES = {
  invalid_request: {
    http: 400,
    meaning: 'The frame decoded, but is not a request: not a map, or without a non-negative integer id or a string op.',
    fix: 'Send a msgpack map {id: <uint>, op: <string>, ...fields}.',
  },
  invalid_argument: {
    http: 400,
    meaning: 'A field has the wrong type or value for this op (details.path names it).',
    fix: 'Correct the field as the op reference describes; the schema is in protocol/schemas.',
  },
  unknown_op: {
    http: 400,
    meaning: 'The op is not one this server implements (extension ops included).',
    fix: 'Use an op listed in hello.capabilities.',
  },
  unknown_field: {
    http: 400,
    meaning: 'The request carries a field the op does not define; fields are never silently ignored.',
    fix: 'Remove the field (details.field) or check its spelling.',
  },
  unsupported_version: {
    http: 400,
    meaning: "hello named a protocol version whose major differs from the server's.",
    fix: "Use a client for the server's protocol major (hello reply details.server_protocol).",
  },
  unauthorized: {
    http: 401,
    meaning: 'The server requires a token and the connection did not present the right one.',
    fix: 'Pass the token as "Authorization: Bearer <token>" or the ?token= query parameter.',
  },
  unknown_env: {
    http: 404,
    meaning: 'No environment is registered under that id.',
    fix: 'Use an id from list_envs (ids are case-sensitive and versioned, e.g. CartPole-v0).',
  },
  unknown_env_option: {
    http: 400,
    meaning: 'make was given an env option the environment does not define, or a value outside its choices.',
    fix: 'Use the options listed in the environment spec (list_envs: options).',
  },
  unknown_session: {
    http: 404,
    meaning: 'The session handle is not open on this connection (never made, closed, or made by another connection).',
    fix: 'Use the handle returned by make on this same connection; sessions are per connection.',
  },
  unknown_dynamics: {
    http: 404,
    meaning: 'The requested dynamics (model id) does not exist or does not fit this environment.',
    fix: 'Use "true" or a model id from list_models whose env matches.',
  },
  unknown_job: {
    http: 404,
    meaning: 'No job of this server has that id (never started, or finished long enough ago to be forgotten).',
    fix: 'Use an id from start_job or list_jobs; finished jobs are kept for an hour (the last 100).',
  },
  unknown_dataset: {
    http: 404,
    meaning: 'No dataset stored on this server has that id (a job parameter naming a dataset, or an HTTP download).',
    fix: 'Use an id from GET /v1/datasets or from a collect or augment job\'s result.',
  },
  unknown_context_key: {
    http: 400,
    meaning: 'A context names a parameter the environment does not have.',
    fix: 'Use the parameter names of the environment spec (context.params).',
  },
  context_out_of_range: {
    http: 400,
    meaning: 'A context value is outside the parameter\'s declared range, or not finite.',
    fix: 'Keep each parameter within [low, high] of the environment spec.',
  },
  bad_dtype: {
    http: 400,
    meaning: 'A tensor has a dtype that cannot represent the space\'s values without loss.',
    fix: 'Send the dtype the space declares (details.expected).',
  },
  bad_shape: {
    http: 400,
    meaning: 'A tensor or array has the wrong shape or length.',
    fix: 'Send the shape in details.expected: [num_envs, ...space shape] for vector sessions, the space shape otherwise.',
  },
  bad_tensor: {
    http: 400,
    meaning: 'A tensor map is malformed: unknown dtype, negative dimension, or a byte length that disagrees with its shape.',
    fix: 'Send {dtype, shape, data} with data holding prod(shape) little-endian elements of dtype.',
  },
  out_of_bounds: {
    http: 400,
    meaning: 'An action (or initial state) lies outside its space: beyond a Box bound, not a valid Discrete value, or NaN.',
    fix: 'Keep values inside the space (details.index and details.value name the first offender).',
  },
  not_reset: {
    http: 400,
    meaning: 'step (or an op that needs a current state) was called before the first reset.',
    fix: 'Call reset first.',
  },
  needs_reset: {
    http: 400,
    meaning: 'The episode of this env has ended and nothing resets it: a single env, or a vector env with autoreset disabled.',
    fix: 'Call reset (with reset_mask for the ended sub-envs of a vector session).',
  },
  bad_state: {
    http: 400,
    meaning: 'set_state was given a snapshot that is not a TwinGym snapshot of this environment and batch size.',
    fix: 'Only restore snapshots taken by get_state on a session of the same env id, options and num_envs.',
  },
  unsupported: {
    http: 400,
    meaning: 'The op or mode is valid in general but not for this environment or dynamics (e.g. a render mode).',
    fix: 'Check the environment metadata (render_modes, capabilities).',
  },
  too_many_sessions: {
    http: 429,
    meaning: 'The connection (or the server) already holds its maximum number of sessions.',
    fix: 'close sessions you no longer use; hello.limits.max_sessions_per_connection gives the limit.',
  },
  too_many_envs: {
    http: 429,
    meaning: 'num_envs exceeds the server limit for one session.',
    fix: 'Use at most hello.limits.max_envs_per_session envs per session, or several sessions.',
  },
  frame_too_large: {
    http: 413,
    meaning: 'The request frame is larger than the server accepts.',
    fix: 'Keep frames under hello.limits.max_frame_bytes: split the batch over several requests.',
  },
  batch_too_large: {
    http: 400,
    meaning: 'A rollout or plan asks for more work (batch x horizon) than the server allows in one request.',
    fix: 'Stay within hello.limits.max_rollout_steps, or split the request.',
  },
  busy: {
    http: 503,
    meaning: 'The server is at its connection or job capacity, or shutting down.',
    fix: 'Retry later, or raise the server limit (--max-connections, --max-jobs).',
  },
  internal: {
    http: 500,
    meaning: 'The server hit a bug while serving a valid request. The session is left as it was before the request.',
    fix: 'Report it with details.request_id; the connection stays usable.',
  },
} as const;

/** A stable protocol error code. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** The error member of a failed reply. */
export interface WireError {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

/** The HTTP status of an error code in the JSON API. */
export function httpStatusOf(code: ErrorCode): number {
  return ERROR_CODES[code].http;
}

/** True when `code` is one of the documented codes. */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.prototype.hasOwnProperty.call(ERROR_CODES, code);
}

/**
 * WebSocket close codes the server uses. Only an undecodable or grossly oversized frame, a failed authorisation or a
 * shutdown closes a connection; every other problem is answered with an error reply.
 */
export const CLOSE_CODES = {
  normal: 1000,
  going_away: 1001,
  unsupported_data: 1003,
  undecodable_frame: 1007,
  policy_violation: 1008,
  frame_too_large: 1009,
  unauthorized: 4401,
  server_busy: 4503,
} as const;
