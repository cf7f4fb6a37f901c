package twingym

// Protocol v1 frames are plain msgpack, encoded and decoded by github.com/vmihailenco/msgpack/v5. This file only pins
// down the shapes the rest of the client relies on: requests keep the key order they were built in (Obj), integers are
// written in their shortest form, and a decoded value has one Go type per msgpack family whatever width the sender
// picked (maps map[string]any, arrays []any, integers int64 or uint64 above the int64 range, floats float64, bin
// []byte, str string).

import (
	"bytes"
	"errors"
	"fmt"
	"math"

	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"
)

// Field is one key/value pair of an Obj.
type Field struct {
	Key   string
	Value any
}

// Obj is a msgpack map whose keys are encoded in the given order (requests are built from it, so frames are
// deterministic).
type Obj []Field

// EncodeMsgpack writes the fields as one msgpack map in slice order; it lets the library encode an Obj wherever it
// appears, nested ones included.
func (o Obj) EncodeMsgpack(enc *msgpack.Encoder) error {
	if err := enc.EncodeMapLen(len(o)); err != nil {
		return err
	}
	for _, f := range o {
		if err := enc.EncodeString(f.Key); err != nil {
			return err
		}
		if err := enc.Encode(f.Value); err != nil {
			return fmt.Errorf("%s: %w", f.Key, err)
		}
	}
	return nil
}

// EncodeMsgpack writes the tensor in its wire form ({dtype, shape, data}), so a Tensor can be put into a request as is.
func (t Tensor) EncodeMsgpack(enc *msgpack.Encoder) error {
	return t.wire().EncodeMsgpack(enc)
}

// ErrUndecodable is wrapped by every error of Unmarshal.
var ErrUndecodable = errors.New("undecodable msgpack")

// Marshal encodes v as one msgpack value: integers in their shortest form, []byte as bin, floats at the width of their
// Go type, Obj and Tensor as maps in field order and other maps with their keys sorted (so frames are reproducible).
func Marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(128)
	enc := msgpack.GetEncoder()
	defer msgpack.PutEncoder(enc)
	enc.Reset(&buf) // Reset clears the flags, so they are set after it
	enc.UseCompactInts(true)
	enc.SetSortMapKeys(true)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Unmarshal decodes exactly one msgpack value; trailing bytes, truncation, reserved bytes (0xc1) and extension
// types are errors wrapping ErrUndecodable.
func Unmarshal(data []byte) (any, error) {
	r := bytes.NewReader(data)
	dec := msgpack.GetDecoder()
	defer msgpack.PutDecoder(dec)
	// A bytes.Reader is used directly by the decoder (no read-ahead), so r.Len() is what is left of the frame.
	dec.Reset(r)
	v, err := decodeValue(dec, r, 0)
	if err != nil {
		return nil, err
	}
	if r.Len() != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes", ErrUndecodable, r.Len())
	}
	return v, nil
}

// maxDepth bounds nesting: a frame of max_frame_bytes could otherwise hold a million nested arrays.
const maxDepth = 512

func undecodable(err error) error {
	return fmt.Errorf("%w: %v", ErrUndecodable, err)
}

// decodeValue chooses the Go type from the next type byte and lets the library read the value. The library's own
// interface decoding is not used: it keeps each integer's wire width (int8, uint16, ...) or, in its loose mode, turns
// bin into string, and neither bounds nesting.
func decodeValue(dec *msgpack.Decoder, r *bytes.Reader, depth int) (any, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("%w: nesting deeper than %d", ErrUndecodable, maxDepth)
	}
	c, err := dec.PeekCode()
	if err != nil {
		return nil, undecodable(err)
	}
	var v any
	switch {
	case msgpcode.IsFixedMap(c) || c == msgpcode.Map16 || c == msgpcode.Map32:
		return decodeMap(dec, r, depth)
	case msgpcode.IsFixedArray(c) || c == msgpcode.Array16 || c == msgpcode.Array32:
		return decodeArray(dec, r, depth)
	case msgpcode.IsString(c):
		v, err = dec.DecodeString()
	case msgpcode.IsBin(c):
		v, err = dec.DecodeBytes()
	case c == msgpcode.Uint64:
		var u uint64
		if u, err = dec.DecodeUint64(); err == nil && u <= math.MaxInt64 {
			v = int64(u)
		} else {
			v = u
		}
	case msgpcode.IsFixedNum(c), c == msgpcode.Uint8, c == msgpcode.Uint16, c == msgpcode.Uint32,
		c == msgpcode.Int8, c == msgpcode.Int16, c == msgpcode.Int32, c == msgpcode.Int64:
		v, err = dec.DecodeInt64()
	case c == msgpcode.Float || c == msgpcode.Double:
		v, err = dec.DecodeFloat64()
	case c == msgpcode.Nil:
		err = dec.DecodeNil()
	case c == msgpcode.True || c == msgpcode.False:
		v, err = dec.DecodeBool()
	default:
		return nil, fmt.Errorf("%w: byte 0x%02x (reserved or an extension type) at offset %d", ErrUndecodable, c,
			int(r.Size())-r.Len())
	}
	if err != nil {
		return nil, undecodable(err)
	}
	return v, nil
}

func decodeArray(dec *msgpack.Decoder, r *bytes.Reader, depth int) (any, error) {
	n, err := dec.DecodeArrayLen()
	if err != nil {
		return nil, undecodable(err)
	}
	// Every item takes at least a byte: a larger count is a lie, checked before allocating for it.
	if n > r.Len() {
		return nil, fmt.Errorf("%w: array of %d items in %d bytes", ErrUndecodable, n, r.Len())
	}
	out := make([]any, n)
	for i := range out {
		if out[i], err = decodeValue(dec, r, depth+1); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func decodeMap(dec *msgpack.Decoder, r *bytes.Reader, depth int) (any, error) {
	n, err := dec.DecodeMapLen()
	if err != nil {
		return nil, undecodable(err)
	}
	if 2*n > r.Len() {
		return nil, fmt.Errorf("%w: map of %d entries in %d bytes", ErrUndecodable, n, r.Len())
	}
	out := make(map[string]any, n)
	for i := 0; i < n; i++ {
		k, err := decodeValue(dec, r, depth+1)
		if err != nil {
			return nil, err
		}
		// The protocol only uses string keys; any other key is kept under its printed form rather than failing.
		key, ok := k.(string)
		if !ok {
			key = fmt.Sprint(k)
		}
		if out[key], err = decodeValue(dec, r, depth+1); err != nil {
			return nil, err
		}
	}
	return out, nil
}
