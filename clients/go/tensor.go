package twingym

import (
	"encoding/binary"
	"fmt"
	"math"
)

// DType names a tensor element type of protocol v1.
type DType string

// The six protocol dtypes.
const (
	F32  DType = "f32"
	F64  DType = "f64"
	I32  DType = "i32"
	I64  DType = "i64"
	U8   DType = "u8"
	Bool DType = "bool"
)

// Size is the number of bytes of one element (0 for an unknown dtype).
func (d DType) Size() int {
	switch d {
	case F32, I32:
		return 4
	case F64, I64:
		return 8
	case U8, Bool:
		return 1
	}
	return 0
}

// Tensor is an array as it travels: dtype, shape and the little-endian, row-major element bytes.
type Tensor struct {
	DType DType
	Shape []int
	Data  []byte
}

// Len is the number of elements (1 for a scalar's empty shape).
func (t Tensor) Len() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

func (t Tensor) wire() Obj {
	shape := make([]any, len(t.Shape))
	for i, d := range t.Shape {
		shape[i] = d
	}
	return Obj{{"dtype", string(t.DType)}, {"shape", shape}, {"data", t.Data}}
}

// Validate checks the dtype and that the byte count matches the shape.
func (t Tensor) Validate() error {
	if t.DType.Size() == 0 {
		return fmt.Errorf("unknown tensor dtype %q", t.DType)
	}
	for _, d := range t.Shape {
		if d < 0 {
			return fmt.Errorf("negative tensor dimension in %v", t.Shape)
		}
	}
	if want := t.Len() * t.DType.Size(); len(t.Data) != want {
		return fmt.Errorf("tensor data has %d bytes; shape %v of %s needs %d", len(t.Data), t.Shape, t.DType, want)
	}
	return nil
}

// Float32Tensor wraps values as an f32 tensor of the given shape (nil shape: a flat vector).
func Float32Tensor(values []float32, shape ...int) Tensor {
	data := make([]byte, 4*len(values))
	for i, v := range values {
		binary.LittleEndian.PutUint32(data[4*i:], math.Float32bits(v))
	}
	return Tensor{F32, shapeOr(shape, len(values)), data}
}

// Float64Tensor wraps values as an f64 tensor of the given shape (nil shape: a flat vector).
func Float64Tensor(values []float64, shape ...int) Tensor {
	data := make([]byte, 8*len(values))
	for i, v := range values {
		binary.LittleEndian.PutUint64(data[8*i:], math.Float64bits(v))
	}
	return Tensor{F64, shapeOr(shape, len(values)), data}
}

// Int64Tensor wraps values as an i64 tensor of the given shape (nil shape: a flat vector).
func Int64Tensor(values []int64, shape ...int) Tensor {
	data := make([]byte, 8*len(values))
	for i, v := range values {
		binary.LittleEndian.PutUint64(data[8*i:], uint64(v))
	}
	return Tensor{I64, shapeOr(shape, len(values)), data}
}

// Int32Tensor wraps values as an i32 tensor of the given shape (nil shape: a flat vector).
func Int32Tensor(values []int32, shape ...int) Tensor {
	data := make([]byte, 4*len(values))
	for i, v := range values {
		binary.LittleEndian.PutUint32(data[4*i:], uint32(v))
	}
	return Tensor{I32, shapeOr(shape, len(values)), data}
}

// BoolTensor wraps values as a bool tensor (one byte per element) of the given shape (nil shape: a flat vector).
func BoolTensor(values []bool, shape ...int) Tensor {
	data := make([]byte, len(values))
	for i, v := range values {
		if v {
			data[i] = 1
		}
	}
	return Tensor{Bool, shapeOr(shape, len(values)), data}
}

func shapeOr(shape []int, n int) []int {
	if shape == nil {
		return []int{n}
	}
	return append([]int(nil), shape...)
}

// Float64s converts every element to float64 (i64 beyond 2^53 loses precision).
func (t Tensor) Float64s() []float64 {
	n := t.Len()
	out := make([]float64, n)
	for i := 0; i < n; i++ {
		out[i] = t.at(i)
	}
	return out
}

// Float32s converts every element to float32; for f32 tensors this is exact.
func (t Tensor) Float32s() []float32 {
	n := t.Len()
	out := make([]float32, n)
	if t.DType == F32 {
		for i := 0; i < n; i++ {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(t.Data[4*i:]))
		}
		return out
	}
	for i := 0; i < n; i++ {
		out[i] = float32(t.at(i))
	}
	return out
}

// Int64s converts every element to int64 (floats are truncated).
func (t Tensor) Int64s() []int64 {
	n := t.Len()
	out := make([]int64, n)
	for i := 0; i < n; i++ {
		if t.DType == I64 {
			out[i] = int64(binary.LittleEndian.Uint64(t.Data[8*i:]))
		} else {
			out[i] = int64(t.at(i))
		}
	}
	return out
}

// Bools converts every element to bool (non-zero is true).
func (t Tensor) Bools() []bool {
	n := t.Len()
	out := make([]bool, n)
	for i := 0; i < n; i++ {
		out[i] = t.at(i) != 0
	}
	return out
}

func (t Tensor) at(i int) float64 {
	switch t.DType {
	case F32:
		return float64(math.Float32frombits(binary.LittleEndian.Uint32(t.Data[4*i:])))
	case F64:
		return math.Float64frombits(binary.LittleEndian.Uint64(t.Data[8*i:]))
	case I32:
		return float64(int32(binary.LittleEndian.Uint32(t.Data[4*i:])))
	case I64:
		return float64(int64(binary.LittleEndian.Uint64(t.Data[8*i:])))
	default:
		return float64(t.Data[i])
	}
}

// IsTensor reports whether a decoded value is a tensor map.
func IsTensor(v any) bool {
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	_, a := m["dtype"]
	_, b := m["shape"]
	_, c := m["data"]
	return a && b && c
}

// TensorFrom reads a decoded tensor map and validates it.
func TensorFrom(v any) (Tensor, error) {
	m, ok := v.(map[string]any)
	if !ok || !IsTensor(v) {
		return Tensor{}, fmt.Errorf("not a tensor map: %T", v)
	}
	dt, _ := m["dtype"].(string)
	rawShape, ok := m["shape"].([]any)
	if !ok {
		return Tensor{}, fmt.Errorf("tensor shape is not an array")
	}
	shape := make([]int, len(rawShape))
	for i, d := range rawShape {
		n, ok := d.(int64)
		if !ok || n < 0 {
			return Tensor{}, fmt.Errorf("tensor shape %v is not non-negative integers", rawShape)
		}
		shape[i] = int(n)
	}
	data, ok := m["data"].([]byte)
	if !ok {
		return Tensor{}, fmt.Errorf("tensor data is not bin")
	}
	t := Tensor{DType(dt), shape, data}
	return t, t.Validate()
}
