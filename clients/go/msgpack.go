package twingym

// A small msgpack codec for protocol v1 frames: plain msgpack only (no extension types), strings as str, bytes as bin,
// floats as float64, integers in their shortest form. Decoded maps are map[string]any, arrays []any, integers int64
// (uint64 above the int64 range), floats float64, bin []byte.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"reflect"
	"sort"
)

// Field is one key/value pair of an Obj.
type Field struct {
	Key   string
	Value any
}

// Obj is a msgpack map whose keys are encoded in the given order (requests are built from it, so frames are
// deterministic).
type Obj []Field

// ErrUndecodable is wrapped by every error of Unmarshal.
var ErrUndecodable = errors.New("undecodable msgpack")

// Marshal encodes v as one msgpack value.
func Marshal(v any) ([]byte, error) {
	e := encoder{buf: make([]byte, 0, 128)}
	if err := e.encode(v); err != nil {
		return nil, err
	}
	return e.buf, nil
}

type encoder struct{ buf []byte }

func (e *encoder) uint(u uint64) {
	switch {
	case u < 128:
		e.buf = append(e.buf, byte(u))
	case u <= math.MaxUint8:
		e.buf = append(e.buf, 0xcc, byte(u))
	case u <= math.MaxUint16:
		e.buf = append(e.buf, 0xcd)
		e.buf = binary.BigEndian.AppendUint16(e.buf, uint16(u))
	case u <= math.MaxUint32:
		e.buf = append(e.buf, 0xce)
		e.buf = binary.BigEndian.AppendUint32(e.buf, uint32(u))
	default:
		e.buf = append(e.buf, 0xcf)
		e.buf = binary.BigEndian.AppendUint64(e.buf, u)
	}
}

func (e *encoder) int(i int64) {
	if i >= 0 {
		e.uint(uint64(i))
		return
	}
	switch {
	case i >= -32:
		e.buf = append(e.buf, byte(int8(i)))
	case i >= math.MinInt8:
		e.buf = append(e.buf, 0xd0, byte(int8(i)))
	case i >= math.MinInt16:
		e.buf = append(e.buf, 0xd1)
		e.buf = binary.BigEndian.AppendUint16(e.buf, uint16(int16(i)))
	case i >= math.MinInt32:
		e.buf = append(e.buf, 0xd2)
		e.buf = binary.BigEndian.AppendUint32(e.buf, uint32(int32(i)))
	default:
		e.buf = append(e.buf, 0xd3)
		e.buf = binary.BigEndian.AppendUint64(e.buf, uint64(i))
	}
}

func (e *encoder) float(f float64) {
	e.buf = append(e.buf, 0xcb)
	e.buf = binary.BigEndian.AppendUint64(e.buf, math.Float64bits(f))
}

func (e *encoder) str(s string) {
	n := len(s)
	switch {
	case n < 32:
		e.buf = append(e.buf, 0xa0|byte(n))
	case n <= math.MaxUint8:
		e.buf = append(e.buf, 0xd9, byte(n))
	case n <= math.MaxUint16:
		e.buf = append(e.buf, 0xda)
		e.buf = binary.BigEndian.AppendUint16(e.buf, uint16(n))
	default:
		e.buf = append(e.buf, 0xdb)
		e.buf = binary.BigEndian.AppendUint32(e.buf, uint32(n))
	}
	e.buf = append(e.buf, s...)
}

func (e *encoder) bin(b []byte) {
	n := len(b)
	switch {
	case n <= math.MaxUint8:
		e.buf = append(e.buf, 0xc4, byte(n))
	case n <= math.MaxUint16:
		e.buf = append(e.buf, 0xc5)
		e.buf = binary.BigEndian.AppendUint16(e.buf, uint16(n))
	default:
		e.buf = append(e.buf, 0xc6)
		e.buf = binary.BigEndian.AppendUint32(e.buf, uint32(n))
	}
	e.buf = append(e.buf, b...)
}

func (e *encoder) arrayHeader(n int) {
	switch {
	case n < 16:
		e.buf = append(e.buf, 0x90|byte(n))
	case n <= math.MaxUint16:
		e.buf = append(e.buf, 0xdc)
		e.buf = binary.BigEndian.AppendUint16(e.buf, uint16(n))
	default:
		e.buf = append(e.buf, 0xdd)
		e.buf = binary.BigEndian.AppendUint32(e.buf, uint32(n))
	}
}

func (e *encoder) mapHeader(n int) {
	switch {
	case n < 16:
		e.buf = append(e.buf, 0x80|byte(n))
	case n <= math.MaxUint16:
		e.buf = append(e.buf, 0xde)
		e.buf = binary.BigEndian.AppendUint16(e.buf, uint16(n))
	default:
		e.buf = append(e.buf, 0xdf)
		e.buf = binary.BigEndian.AppendUint32(e.buf, uint32(n))
	}
}

func (e *encoder) encode(v any) error {
	switch x := v.(type) {
	case nil:
		e.buf = append(e.buf, 0xc0)
	case bool:
		if x {
			e.buf = append(e.buf, 0xc3)
		} else {
			e.buf = append(e.buf, 0xc2)
		}
	case int:
		e.int(int64(x))
	case int8:
		e.int(int64(x))
	case int16:
		e.int(int64(x))
	case int32:
		e.int(int64(x))
	case int64:
		e.int(x)
	case uint:
		e.uint(uint64(x))
	case uint8:
		e.uint(uint64(x))
	case uint16:
		e.uint(uint64(x))
	case uint32:
		e.uint(uint64(x))
	case uint64:
		e.uint(x)
	case float32:
		e.float(float64(x))
	case float64:
		e.float(x)
	case string:
		e.str(x)
	case []byte:
		e.bin(x)
	case Tensor:
		return e.encode(x.wire())
	case *Tensor:
		return e.encode(x.wire())
	case Obj:
		e.mapHeader(len(x))
		for _, f := range x {
			e.str(f.Key)
			if err := e.encode(f.Value); err != nil {
				return fmt.Errorf("%s: %w", f.Key, err)
			}
		}
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		e.mapHeader(len(x))
		for _, k := range keys {
			e.str(k)
			if err := e.encode(x[k]); err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
		}
	case []any:
		e.arrayHeader(len(x))
		for _, item := range x {
			if err := e.encode(item); err != nil {
				return err
			}
		}
	default:
		return e.encodeReflect(reflect.ValueOf(v))
	}
	return nil
}

// encodeReflect handles typed slices and string-keyed maps ([]float64, map[string]float64, []map[string]float64, ...).
func (e *encoder) encodeReflect(rv reflect.Value) error {
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		e.arrayHeader(rv.Len())
		for i := 0; i < rv.Len(); i++ {
			if err := e.encode(rv.Index(i).Interface()); err != nil {
				return err
			}
		}
		return nil
	case reflect.Map:
		if rv.Type().Key().Kind() != reflect.String {
			return fmt.Errorf("msgpack: map keys must be strings, got %s", rv.Type().Key())
		}
		keys := rv.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
		e.mapHeader(len(keys))
		for _, k := range keys {
			e.str(k.String())
			if err := e.encode(rv.MapIndex(k).Interface()); err != nil {
				return err
			}
		}
		return nil
	case reflect.Pointer:
		if rv.IsNil() {
			e.buf = append(e.buf, 0xc0)
			return nil
		}
		return e.encode(rv.Elem().Interface())
	}
	return fmt.Errorf("msgpack: cannot encode %T", rv.Interface())
}

// Unmarshal decodes exactly one msgpack value; trailing bytes, truncation, reserved bytes (0xc1) and extension
// types are errors wrapping ErrUndecodable.
func Unmarshal(data []byte) (any, error) {
	d := decoder{data: data}
	v, err := d.decode(0)
	if err != nil {
		return nil, err
	}
	if d.pos != len(d.data) {
		return nil, fmt.Errorf("%w: %d trailing bytes", ErrUndecodable, len(d.data)-d.pos)
	}
	return v, nil
}

type decoder struct {
	data []byte
	pos  int
}

const maxDepth = 512

func (d *decoder) need(n int) ([]byte, error) {
	if n < 0 || d.pos+n > len(d.data) {
		return nil, fmt.Errorf("%w: unexpected end of data", ErrUndecodable)
	}
	b := d.data[d.pos : d.pos+n]
	d.pos += n
	return b, nil
}

func (d *decoder) length(size int) (int, error) {
	b, err := d.need(size)
	if err != nil {
		return 0, err
	}
	switch size {
	case 1:
		return int(b[0]), nil
	case 2:
		return int(binary.BigEndian.Uint16(b)), nil
	default:
		return int(binary.BigEndian.Uint32(b)), nil
	}
}

func (d *decoder) decode(depth int) (any, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("%w: nesting deeper than %d", ErrUndecodable, maxDepth)
	}
	b, err := d.need(1)
	if err != nil {
		return nil, err
	}
	c := b[0]
	switch {
	case c <= 0x7f:
		return int64(c), nil
	case c >= 0xe0:
		return int64(int8(c)), nil
	case c&0xf0 == 0x80:
		return d.mapBody(int(c&0x0f), depth)
	case c&0xf0 == 0x90:
		return d.arrayBody(int(c&0x0f), depth)
	case c&0xe0 == 0xa0:
		s, err := d.need(int(c & 0x1f))
		return string(s), err
	}
	switch c {
	case 0xc0:
		return nil, nil
	case 0xc2:
		return false, nil
	case 0xc3:
		return true, nil
	case 0xc4, 0xc5, 0xc6:
		n, err := d.length(1 << (c - 0xc4))
		if err != nil {
			return nil, err
		}
		raw, err := d.need(n)
		if err != nil {
			return nil, err
		}
		return append([]byte(nil), raw...), nil
	case 0xca:
		raw, err := d.need(4)
		if err != nil {
			return nil, err
		}
		return float64(math.Float32frombits(binary.BigEndian.Uint32(raw))), nil
	case 0xcb:
		raw, err := d.need(8)
		if err != nil {
			return nil, err
		}
		return math.Float64frombits(binary.BigEndian.Uint64(raw)), nil
	case 0xcc, 0xcd, 0xce, 0xcf:
		size := 1 << (c - 0xcc)
		raw, err := d.need(size)
		if err != nil {
			return nil, err
		}
		var u uint64
		switch size {
		case 1:
			u = uint64(raw[0])
		case 2:
			u = uint64(binary.BigEndian.Uint16(raw))
		case 4:
			u = uint64(binary.BigEndian.Uint32(raw))
		default:
			u = binary.BigEndian.Uint64(raw)
		}
		if u > math.MaxInt64 {
			return u, nil
		}
		return int64(u), nil
	case 0xd0, 0xd1, 0xd2, 0xd3:
		size := 1 << (c - 0xd0)
		raw, err := d.need(size)
		if err != nil {
			return nil, err
		}
		switch size {
		case 1:
			return int64(int8(raw[0])), nil
		case 2:
			return int64(int16(binary.BigEndian.Uint16(raw))), nil
		case 4:
			return int64(int32(binary.BigEndian.Uint32(raw))), nil
		default:
			return int64(binary.BigEndian.Uint64(raw)), nil
		}
	case 0xd9, 0xda, 0xdb:
		n, err := d.length(1 << (c - 0xd9))
		if err != nil {
			return nil, err
		}
		s, err := d.need(n)
		return string(s), err
	case 0xdc, 0xdd:
		n, err := d.length(2 << (c - 0xdc))
		if err != nil {
			return nil, err
		}
		return d.arrayBody(n, depth)
	case 0xde, 0xdf:
		n, err := d.length(2 << (c - 0xde))
		if err != nil {
			return nil, err
		}
		return d.mapBody(n, depth)
	}
	return nil, fmt.Errorf("%w: byte 0x%02x (reserved or an extension type) at offset %d", ErrUndecodable, c, d.pos-1)
}

func (d *decoder) arrayBody(n int, depth int) (any, error) {
	if n > len(d.data)-d.pos {
		return nil, fmt.Errorf("%w: array of %d items in %d bytes", ErrUndecodable, n, len(d.data)-d.pos)
	}
	out := make([]any, n)
	for i := range out {
		v, err := d.decode(depth + 1)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

func (d *decoder) mapBody(n int, depth int) (any, error) {
	if 2*n > len(d.data)-d.pos {
		return nil, fmt.Errorf("%w: map of %d entries in %d bytes", ErrUndecodable, n, len(d.data)-d.pos)
	}
	out := make(map[string]any, n)
	for i := 0; i < n; i++ {
		k, err := d.decode(depth + 1)
		if err != nil {
			return nil, err
		}
		key, ok := k.(string)
		if !ok {
			key = fmt.Sprint(k)
		}
		v, err := d.decode(depth + 1)
		if err != nil {
			return nil, err
		}
		out[key] = v
	}
	return out, nil
}
