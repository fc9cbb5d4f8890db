package mesh

import (
	"errors"
	"reflect"
	"testing"
)

const idA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

func sampleEnvelopes() []envelope {
	return []envelope{
		{Origin: idA, Lamport: 1, Payload: Opinion{Master: "mymaster", Addr: "127.0.0.1:6379", Down: true, Time: 1763700000123}},
		{Origin: idA, Lamport: 2, Payload: Opinion{Master: "m", Addr: "[::1]:6380", Down: false, Time: -5}},
		{Origin: idA, Lamport: 1 << 40, Payload: MasterConfig{Master: "mymaster", Addr: "127.0.0.1:6380", Epoch: 7}},
		{Origin: idA, Lamport: 3, Payload: VoteRequest{Master: "mymaster", Epoch: 8, Candidate: idA}},
		{Origin: idA, Lamport: 4, Payload: VoteReply{Master: "mymaster", LeaderID: "*", LeaderEpoch: 0}},
		{Origin: idA, Lamport: 5, Payload: leaveIntent{}},
	}
}

func sampleState(t testing.TB) envelope {
	var items [][]byte
	for _, e := range sampleEnvelopes() {
		raw, err := encode(e)
		if err != nil {
			t.Fatal(err)
		}
		items = append(items, raw)
	}
	return envelope{Origin: idA, Lamport: 99, Payload: pushState{Items: items}}
}

func TestCodecRoundTrip(t *testing.T) {
	envs := append(sampleEnvelopes(), sampleState(t))
	for _, want := range envs {
		t.Run(want.Payload.kind().String(), func(t *testing.T) {
			raw, err := encode(want)
			if err != nil {
				t.Fatalf("encode(%+v): %v", want, err)
			}
			if raw[0] != byte(want.Payload.kind()) || raw[1] != wireVersion {
				t.Fatalf("header = %x %x, want kind %d version %d", raw[0], raw[1], want.Payload.kind(), wireVersion)
			}
			got, err := decode(raw)
			if err != nil {
				t.Fatalf("decode(%x): %v", raw, err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("decode(encode(x)) = %+v, want %+v", got, want)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	opinion, _ := encode(sampleEnvelopes()[0])
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, errTruncated},
		{"kind only", []byte{1}, errTruncated},
		{"version 2", []byte{1, 2}, errVersion},
		{"unknown kind", []byte{200, wireVersion, 1, 'a', 0}, errKind},
		{"truncated body", opinion[:len(opinion)-1], errTruncated},
		{"trailing", append(append([]byte(nil), opinion...), 0), errTrailing},
		{"no origin", []byte{byte(kindLeave), wireVersion, 0, 0}, errNoOrigin},
		{"bad bool", []byte{byte(kindOpinion), wireVersion, 1, 'a', 0, 0, 0, 2, 0}, errBadBool},
		{"string longer than input", []byte{byte(kindLeave), wireVersion, 5, 'a'}, errTruncated},
		{"string too long", append([]byte{byte(kindLeave), wireVersion, 0x81, 0x10}, make([]byte, 2049)...), errTooLong},
		{"varint overflow", []byte{byte(kindLeave), wireVersion, 1, 'a', 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, errBadVarint},
		{"nested state", nestedState(t), errNested},
		{"state with bad item", []byte{byte(kindState), wireVersion, 1, 'a', 0, 1, 2, 1, 9}, errVersion},
		{"state count beyond input", []byte{byte(kindState), wireVersion, 1, 'a', 0, 200}, errTruncated},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := decode(tc.in)
			if !errors.Is(err, tc.want) {
				t.Fatalf("decode(%x) error = %v, want %v", tc.in, err, tc.want)
			}
		})
	}
}

func nestedState(t *testing.T) []byte {
	inner, err := encode(envelope{Origin: idA, Payload: pushState{}})
	if err != nil {
		t.Fatal(err)
	}
	outer, err := encode(envelope{Origin: idA, Payload: pushState{Items: [][]byte{inner}}})
	if err != nil {
		t.Fatal(err)
	}
	return outer
}

func TestEncodeRejectsLocalPayloads(t *testing.T) {
	if _, err := encode(envelope{Origin: idA, Payload: MemberEvent{}}); !errors.Is(err, errNotOnWire) {
		t.Fatalf("encode(MemberEvent) error = %v, want %v", err, errNotOnWire)
	}
}

func TestMetaRoundTrip(t *testing.T) {
	tests := []Meta{{}, {IP: "127.0.0.1", Port: 26379, Epoch: 12}, {IP: "sentinel-1.example", Port: 65535, Epoch: 1 << 62}}
	for _, want := range tests {
		got, err := decodeMeta(encodeMeta(want))
		if err != nil || got != want {
			t.Fatalf("decodeMeta(encodeMeta(%+v)) = %+v, %v", want, got, err)
		}
	}
	bad := []struct {
		name string
		in   []byte
	}{
		{"empty", nil},
		{"version", []byte{9, 0, 0, 0}},
		{"port", []byte{wireVersion, 0, 0x80, 0x80, 0x04, 0}},
		{"trailing", append(encodeMeta(Meta{}), 1)},
	}
	for _, tc := range bad {
		if _, err := decodeMeta(tc.in); err == nil {
			t.Errorf("%s: decodeMeta(%x) succeeded, want an error", tc.name, tc.in)
		}
	}
}

// FuzzDecode: decode never panics; what decodes re-encodes to an equal message; every
// truncation of a valid message fails cleanly.
func FuzzDecode(f *testing.F) {
	for _, e := range append(sampleEnvelopes(), sampleState(f)) {
		raw, err := encode(e)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Add([]byte{})
	f.Add(encodeMeta(Meta{IP: "127.0.0.1", Port: 26379, Epoch: 3}))
	f.Fuzz(func(t *testing.T, in []byte) {
		env, err := decode(in)
		_, _ = decodeMeta(in)
		if err != nil {
			return
		}
		out, err := encode(env)
		if err != nil {
			t.Fatalf("encode(decode(%x)) failed: %v", in, err)
		}
		again, err := decode(out)
		if err != nil || !reflect.DeepEqual(again, env) {
			t.Fatalf("decode(encode(%+v)) = %+v, %v", env, again, err)
		}
		for i := range len(in) {
			if _, err := decode(in[:i]); err == nil {
				t.Fatalf("decode of %d-byte prefix of %x succeeded", i, in)
			}
		}
	})
}
