package twingym

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"testing"
)

type vector struct {
	Name  string          `json:"name"`
	Op    *string         `json:"op"`
	Kind  string          `json:"kind"`
	Hex   string          `json:"hex"`
	Value json.RawMessage `json:"value"`
}

func repoRoot(t testing.TB) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func loadVectors(t *testing.T) []vector {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot(t), "protocol", "vectors", "v1.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Protocol string   `json:"protocol"`
		Vectors  []vector `json:"vectors"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Protocol != ProtocolVersion {
		t.Fatalf("vectors are for protocol %s, the client speaks %s", doc.Protocol, ProtocolVersion)
	}
	return doc.Vectors
}

// fromJSON turns a vector's JSON meaning into what Unmarshal yields ({"$bin"} -> []byte, {"$float"} -> float64).
func fromJSON(t *testing.T, raw json.RawMessage) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return convert(t, v)
}

func convert(t *testing.T, v any) any {
	switch x := v.(type) {
	case map[string]any:
		if b, ok := x["$bin"]; ok && len(x) == 1 {
			out, err := hex.DecodeString(b.(string))
			if err != nil {
				t.Fatal(err)
			}
			return out
		}
		if f, ok := x["$float"]; ok && len(x) == 1 {
			return map[string]float64{"NaN": math.NaN(), "Infinity": math.Inf(1), "-Infinity": math.Inf(-1)}[f.(string)]
		}
		out := map[string]any{}
		for k, item := range x {
			out[k] = convert(t, item)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, item := range x {
			out[i] = convert(t, item)
		}
		return out
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, err := x.Float64()
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	return v
}

// equal compares as the vectors define it: numbers numerically (NaN equals NaN), bytes bytewise.
func equal(a, b any) bool {
	na, aNum := number(a)
	nb, bNum := number(b)
	if aNum || bNum {
		return aNum && bNum && (na == nb || (math.IsNaN(na) && math.IsNaN(nb)))
	}
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !equal(v, w) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equal(x[i], y[i]) {
				return false
			}
		}
		return true
	case []byte:
		y, ok := b.([]byte)
		return ok && bytes.Equal(x, y)
	}
	return reflect.DeepEqual(a, b)
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case uint64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

func TestVectorsDecodeToTheirMeaning(t *testing.T) {
	vs := loadVectors(t)
	if len(vs) < 50 {
		t.Fatalf("only %d vectors", len(vs))
	}
	for _, v := range vs {
		raw, err := hex.DecodeString(v.Hex)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Unmarshal(raw)
		if err != nil {
			t.Errorf("%s: %v", v.Name, err)
			continue
		}
		want := fromJSON(t, v.Value)
		if !equal(got, want) {
			t.Errorf("%s: decoded %v, meaning %v", v.Name, got, want)
		}
		again, err := Marshal(want)
		if err != nil {
			t.Fatalf("%s: %v", v.Name, err)
		}
		round, err := Unmarshal(again)
		if err != nil || !equal(round, want) {
			t.Errorf("%s: decode(encode(value)) differs: %v", v.Name, err)
		}
	}
}

func TestRequestVectorsAreByteIdenticalWhenBuiltInOrder(t *testing.T) {
	// The client's requests are Obj values in the order the vectors list their keys, so the bytes must match.
	want, _ := hex.DecodeString(findVector(t, "hello_request").Hex)
	got, err := Marshal(Obj{{"id", 1}, {"op", "hello"}, {"protocol", ProtocolVersion}, {"client", "twingym-python/0.1.0"}})
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("hello request bytes differ:\n got %x\nwant %x", got, want)
	}
	want, _ = hex.DecodeString(findVector(t, "step_request_vector_i64").Hex)
	got, _ = Marshal(Obj{{"id", 11}, {"op", "step"}, {"session", 2}, {"action", Int64Tensor([]int64{2, 2, 0, 1})}})
	if !bytes.Equal(got, want) {
		t.Fatalf("step request bytes differ:\n got %x\nwant %x", got, want)
	}
	want, _ = hex.DecodeString(findVector(t, "step_request_box_f32").Hex)
	got, _ = Marshal(Obj{{"id", 13}, {"op", "step"}, {"session", 3}, {"action", Float32Tensor([]float32{0.25, -1}, 2, 1)}})
	if !bytes.Equal(got, want) {
		t.Fatalf("box step request bytes differ:\n got %x\nwant %x", got, want)
	}
}

func findVector(t *testing.T, name string) vector {
	for _, v := range loadVectors(t) {
		if v.Name == name {
			return v
		}
	}
	t.Fatalf("no vector %s", name)
	return vector{}
}

func decodeVector(t *testing.T, name string) map[string]any {
	raw, _ := hex.DecodeString(findVector(t, name).Hex)
	v, err := Unmarshal(raw)
	if err != nil {
		t.Fatal(err)
	}
	return v.(map[string]any)
}

func TestStepReplyVectorsParse(t *testing.T) {
	s, err := parseStep(decodeVector(t, "step_reply_vector_same_step"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Obs.DType != F32 || !reflect.DeepEqual(s.Obs.Shape, []int{4, 2}) {
		t.Fatalf("obs %s %v", s.Obs.DType, s.Obs.Shape)
	}
	if !reflect.DeepEqual(s.FinalMask, []bool{false, true, true, false}) {
		t.Fatalf("final mask %v", s.FinalMask)
	}
	if !reflect.DeepEqual(s.Terminated, []bool{false, true, false, false}) || !reflect.DeepEqual(s.Truncated, []bool{false, false, true, false}) {
		t.Fatalf("flags %v %v", s.Terminated, s.Truncated)
	}
	if !reflect.DeepEqual(s.Reward, []float64{-1, 0, -1, -1}) {
		t.Fatalf("reward %v", s.Reward)
	}
	// final_obs row 1 holds the little-endian f32 pair 0x3f016b1a, 0x3d10c130
	fo := s.FinalObs.Float32s()
	if fo[2] != math.Float32frombits(0x3f016b1a) || fo[3] != math.Float32frombits(0x3d10c130) {
		t.Fatalf("final obs %v", fo)
	}
	single, err := parseStep(decodeVector(t, "step_reply"))
	if err != nil {
		t.Fatal(err)
	}
	if single.Reward[0] != -1 || single.Terminated[0] || single.Truncated[0] {
		t.Fatalf("single step %+v", single)
	}
	nf, err := parseStep(decodeVector(t, "step_reply_learned_nonfinite"))
	if err != nil {
		t.Fatal(err)
	}
	o := nf.Obs.Float32s()
	if !math.IsNaN(float64(o[0])) || !math.IsInf(float64(o[1]), 1) || !math.IsInf(float64(o[2]), -1) || !math.IsInf(nf.Reward[0], -1) {
		t.Fatalf("non-finite values lost: %v %v", o, nf.Reward)
	}
}

func TestErrorVectorsBecomeTypedErrors(t *testing.T) {
	seen := map[string]bool{}
	for _, v := range loadVectors(t) {
		if v.Kind != "error_reply" {
			continue
		}
		m := decodeVector(t, v.Name)
		op := ""
		if v.Op != nil {
			op = *v.Op
		}
		var err error = errorFromReply(m, op)
		var te *Error
		if !errors.As(err, &te) {
			t.Fatalf("%s: not an *Error", v.Name)
		}
		want := m["error"].(map[string]any)
		if te.Code != want["code"] || te.Message != want["message"] {
			t.Fatalf("%s: %+v", v.Name, te)
		}
		if !errors.Is(err, &Error{Code: te.Code}) || errors.Is(err, &Error{Code: "something_else"}) {
			t.Fatalf("%s: errors.Is does not match by code", v.Name)
		}
		seen[te.Code] = true
	}
	for _, code := range []string{"bad_dtype", "bad_shape", "out_of_bounds", "unknown_env", "frame_too_large"} {
		if !seen[code] {
			t.Errorf("no vector for %s", code)
		}
	}
	if !errors.Is(errorFromReply(decodeVector(t, "error_out_of_bounds"), "step"), ErrOutOfBounds) {
		t.Fatal("errors.Is(err, ErrOutOfBounds) is false for an out_of_bounds reply")
	}
}

func TestEveryDocumentedCodeIsListed(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(repoRoot(t), "protocol", "ts", "errors.ts"))
	if err != nil {
		t.Fatal(err)
	}
	block := string(src)
	block = block[:bytes.Index(src, []byte("} as const;"))]
	codes := regexp.MustCompile(`(?m)^  ([a-z_]+): \{`).FindAllStringSubmatch(block, -1)
	if len(codes) < 20 || len(codes) != len(ErrorCodes) {
		t.Fatalf("errors.ts has %d codes, the client lists %d", len(codes), len(ErrorCodes))
	}
	for i, c := range codes {
		if ErrorCodes[i] != c[1] {
			t.Fatalf("code %d: errors.ts %s, client %s", i, c[1], ErrorCodes[i])
		}
	}
}

func TestListEnvsVectorParsesSpaces(t *testing.T) {
	m := decodeVector(t, "list_envs_reply")
	envs := m["envs"].([]any)
	spec, err := parseEnvSpec(envs[0].(map[string]any))
	if err != nil {
		t.Fatal(err)
	}
	if spec.ID != "MountainCar-v0" || spec.ActionSpace.Type != "discrete" || spec.ActionSpace.N != 3 {
		t.Fatalf("%+v", spec)
	}
	if spec.ObservationSpace.DType != F32 || spec.ObservationSpace.Low[0] != float64(float32(-1.2)) || spec.ObservationSpace.High[1] != float64(float32(0.07)) {
		t.Fatalf("box bounds %v %v", spec.ObservationSpace.Low, spec.ObservationSpace.High)
	}
	if len(spec.Context) != 1 || spec.Context[0].Name != "gravity" || spec.Context[0].Default != 0.0025 {
		t.Fatalf("context %+v", spec.Context)
	}
	structured := decodeVector(t, "list_envs_reply_structured_spaces")["envs"].([]any)
	s, err := parseEnvSpec(structured[0].(map[string]any))
	if err != nil {
		t.Fatal(err)
	}
	if s.ObservationSpace.Type != "dict" || len(s.ObservationSpace.Keys) != len(s.ObservationSpace.Spaces) || len(s.ObservationSpace.Keys) == 0 {
		t.Fatalf("structured space %+v", s.ObservationSpace)
	}
}

func TestMsgpackRejectsMalformedInput(t *testing.T) {
	for _, b := range [][]byte{{0xc1}, {0x82, 0xa2, 'i', 'd'}, {0x01, 0x02}, {0xc7, 0x01, 0x05, 0x00}, {0xdd, 0xff, 0xff, 0xff, 0xff}} {
		if _, err := Unmarshal(b); !errors.Is(err, ErrUndecodable) {
			t.Errorf("% x decoded without error (%v)", b, err)
		}
	}
}

func TestMsgpackIntegerAndFloatForms(t *testing.T) {
	cases := []struct {
		v    any
		want string
	}{
		{0, "00"}, {127, "7f"}, {128, "cc80"}, {-1, "ff"}, {-33, "d0df"}, {65536, "ce00010000"},
		{int64(-1 << 40), "d3ffffff0000000000"}, {uint64(1 << 63), "cf8000000000000000"},
		{1.5, "cb3ff8000000000000"}, {"a", "a161"}, {[]byte{1}, "c40101"}, {nil, "c0"}, {true, "c3"},
	}
	for _, c := range cases {
		got, err := Marshal(c.v)
		if err != nil || hex.EncodeToString(got) != c.want {
			t.Errorf("Marshal(%v) = %x, want %s", c.v, got, c.want)
		}
		back, err := Unmarshal(got)
		if err != nil || !equal(back, c.v) && !equalAny(back, c.v) {
			t.Errorf("round trip of %v gave %v", c.v, back)
		}
	}
}

func equalAny(a, b any) bool {
	switch x := b.(type) {
	case int:
		return equal(a, int64(x))
	}
	return reflect.DeepEqual(a, b)
}

func TestTensorLayout(t *testing.T) {
	f := Float32Tensor([]float32{1, -2}, 2)
	if binary.LittleEndian.Uint32(f.Data) != math.Float32bits(1) || f.Validate() != nil {
		t.Fatal("f32 layout")
	}
	i := Int64Tensor([]int64{-3})
	if int64(binary.LittleEndian.Uint64(i.Data)) != -3 || i.Int64s()[0] != -3 || i.Float64s()[0] != -3 {
		t.Fatal("i64 layout")
	}
	b := BoolTensor([]bool{true, false})
	if !bytes.Equal(b.Data, []byte{1, 0}) || !reflect.DeepEqual(b.Bools(), []bool{true, false}) {
		t.Fatal("bool layout")
	}
	bad := Tensor{F64, []int{2}, make([]byte, 8)}
	if bad.Validate() == nil {
		t.Fatal("a short tensor validated")
	}
	if _, err := TensorFrom(map[string]any{"dtype": "f16", "shape": []any{int64(1)}, "data": []byte{0, 0}}); err == nil {
		t.Fatal("an unknown dtype was accepted")
	}
}

func TestNormalizeURL(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:9": "ws://127.0.0.1:9/v1/ws", "http://h:1": "ws://h:1/v1/ws", "wss://h/v1/ws?token=x": "wss://h/v1/ws?token=x",
	} {
		if got, err := NormalizeURL(in); err != nil || got != want {
			t.Errorf("NormalizeURL(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := NormalizeURL("ftp://h"); err == nil {
		t.Error("ftp accepted")
	}
}

func TestMsgpackDecodesEveryWidthToOneGoType(t *testing.T) {
	// A server may write the integer 1 in any int format and a float in either width; the client sees one type each.
	for _, h := range []string{"01", "cc01", "cd0001", "ce00000001", "cf0000000000000001", "d001", "d10001", "d200000001", "d30000000000000001"} {
		raw, _ := hex.DecodeString(h)
		v, err := Unmarshal(raw)
		if err != nil || v != int64(1) {
			t.Errorf("%s decoded to %#v (%v), want int64(1)", h, v, err)
		}
	}
	for h, want := range map[string]any{"ca3fc00000": 1.5, "cb3ff8000000000000": 1.5, "c40101": []byte{1}, "a161": "a", "c0": nil} {
		raw, _ := hex.DecodeString(h)
		v, err := Unmarshal(raw)
		if err != nil || !reflect.DeepEqual(v, want) {
			t.Errorf("%s decoded to %#v (%v), want %#v", h, v, err, want)
		}
	}
}

func TestMsgpackEncodesNestedRequestValues(t *testing.T) {
	// Obj and Tensor nested in maps, slices and pointers keep their wire form; plain maps are written with sorted keys.
	tensor := Int64Tensor([]int64{1})
	var none *Tensor
	got, err := Marshal(Obj{{"t", &tensor}, {"n", none}, {"m", map[string]any{"b": Obj{{"z", 1}, {"a", 2}}, "a": []float64{0.5}}}})
	if err != nil {
		t.Fatal(err)
	}
	want := "83" + "a174" + "83a56474797065a3693634a5736861706591" + "01" + "a464617461c4080100000000000000" +
		"a16e" + "c0" + "a16d" + "82" + "a161" + "91cb3fe0000000000000" + "a162" + "82a17a01a16102"
	if hex.EncodeToString(got) != want {
		t.Fatalf("got  %x\nwant %s", got, want)
	}
}
