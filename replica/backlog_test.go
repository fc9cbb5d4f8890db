package replica

import (
	"bufio"
	"bytes"
	"io"
	"math/rand/v2"
	"testing"
)

// TestBacklogAgainstNaive writes random chunks and checks every covered offset against a
// plain copy of the whole stream.
func TestBacklogAgainstNaive(t *testing.T) {
	for _, size := range []int64{1, 7, 64, 1000} {
		rng := rand.New(rand.NewPCG(uint64(size), 1))
		b := NewBacklog(size, 100)
		var all []byte // stream bytes; all[i] has offset 101+i
		for step := 0; step < 300; step++ {
			chunk := make([]byte, rng.IntN(int(size)*2+3))
			for i := range chunk {
				chunk[i] = byte(rng.IntN(256))
			}
			b.Write(chunk)
			all = append(all, chunk...)
			if got, want := b.End(), int64(100+len(all)); got != want {
				t.Fatalf("size %d: End = %d, want %d", size, got, want)
			}
			if got, want := b.Histlen(), min(size, int64(len(all))); got != want {
				t.Fatalf("size %d: Histlen = %d, want %d", size, got, want)
			}
			for off := b.FirstByte(); off <= b.End()+1; off++ {
				got := b.AppendFrom(nil, off)
				want := all[off-101:]
				if !bytes.Equal(got, want) {
					t.Fatalf("size %d step %d: AppendFrom(%d) = %x, want %x", size, step, off, got, want)
				}
			}
			if b.Covers(b.FirstByte()-1) || b.Covers(b.End()+2) {
				t.Fatalf("size %d: covers outside [%d, %d]", size, b.FirstByte(), b.End()+1)
			}
		}
		b.Resize(size / 2)
		if b.Size() > 0 && b.Histlen() > b.Size() {
			t.Fatalf("after resize histlen %d > size %d", b.Histlen(), b.Size())
		}
		if got, want := b.AppendFrom(nil, b.FirstByte()), all[len(all)-int(b.Histlen()):]; !bytes.Equal(got, want) {
			t.Fatalf("after resize: %x, want %x", got, want)
		}
	}
}

func TestMarkReader(t *testing.T) {
	mark := bytes.Repeat([]byte("ab"), EOFMarkLen/2)
	cases := []struct {
		name    string
		payload []byte
	}{
		{"empty", nil},
		{"small", []byte("REDIS0010 small payload")},
		{"large", bytes.Repeat([]byte("0123456789"), 10000)},
		{"mark-prefix-inside", append([]byte("xxabababab"), bytes.Repeat([]byte("z"), 5000)...)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			stream := append(append(append([]byte{}, tc.payload...), mark...), "*1\r\n$4\r\nping\r\n"...)
			// a reader that returns tiny pieces, to exercise the peeking
			br := bufio.NewReaderSize(&slowReader{data: stream}, 64)
			got, err := io.ReadAll(MarkReader(br, mark))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tc.payload) {
				t.Fatalf("payload: got %d bytes, want %d", len(got), len(tc.payload))
			}
			rest, _ := io.ReadAll(br)
			if string(rest) != "*1\r\n$4\r\nping\r\n" {
				t.Fatalf("after the mark: %q", rest)
			}
		})
	}
	t.Run("truncated", func(t *testing.T) {
		br := bufio.NewReader(bytes.NewReader([]byte("REDIS0010 no mark here at all, the connection ends")))
		if _, err := io.ReadAll(MarkReader(br, mark)); err != ErrPayloadTruncated {
			t.Fatalf("err = %v, want ErrPayloadTruncated", err)
		}
	})
}

type slowReader struct {
	data []byte
}

func (s *slowReader) Read(p []byte) (int, error) {
	if len(s.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), 7)], s.data)
	s.data = s.data[n:]
	return n, nil
}

func FuzzMarkReader(f *testing.F) {
	f.Add([]byte("REDIS0010"), uint8(3))
	f.Fuzz(func(t *testing.T, payload []byte, cut uint8) {
		mark := bytes.Repeat([]byte{'m'}, EOFMarkLen)
		if bytes.Contains(append(payload, mark...)[:len(payload)+EOFMarkLen-1], mark) {
			return // the mark inside the payload ends it early by design
		}
		stream := append(append([]byte{}, payload...), mark...)
		br := bufio.NewReaderSize(&slowReader{data: stream}, 64+int(cut))
		got, err := io.ReadAll(MarkReader(br, mark))
		if err != nil || !bytes.Equal(got, payload) {
			t.Fatalf("got %q, %v; want %q", got, err, payload)
		}
	})
}
