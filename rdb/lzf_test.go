package rdb

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

func TestLZFRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	inputs := [][]byte{
		[]byte("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
		[]byte("hello hello hello hello hello world world world world"),
		bytes.Repeat([]byte("abcdefgh"), 1000),
		bytes.Repeat([]byte{0}, 70000),
	}
	for i := 0; i < 200; i++ {
		n := r.IntN(3000) + 4
		b := make([]byte, n)
		for j := range b {
			b[j] = byte('a' + r.IntN(3+i%20))
		}
		inputs = append(inputs, b)
		if i%50 == 0 { // mostly literals: a slot written per byte, more than the reset list holds
			b := make([]byte, 40000)
			for j := range b {
				b[j] = byte(r.IntN(64))
			}
			inputs = append(inputs, b)
		}
	}
	// an encoder's scratch, reused for every input (the mostly literal inputs write more
	// slots than it resets one by one), compresses each exactly as fresh memory does
	var sc lzfScratch
	for i, in := range inputs {
		c := lzfCompress(in, len(in)-4, nil)
		if reused := lzfCompress(in, len(in)-4, &sc); !bytes.Equal(reused, c) {
			t.Fatalf("input %d (len %d): with a reused scratch %x, fresh %x", i, len(in), reused, c)
		}
		if c == nil {
			continue
		}
		out, err := lzfDecompress(c, len(in))
		if err != nil || !bytes.Equal(out, in) {
			t.Fatalf("input %d (len %d): round trip failed: err %v", i, len(in), err)
		}
	}
}

func TestLZFDecompressRejectsCorrupt(t *testing.T) {
	for _, in := range [][]byte{{0x05, 'a'}, {0xe0}, {0x20, 0xff}, {0x00, 'a', 0x20, 0x05}} {
		if _, err := lzfDecompress(in, 10); err == nil {
			t.Errorf("lzfDecompress(%x): got no error, want ErrLZF", in)
		}
	}
}

func TestCRC64CheckValue(t *testing.T) {
	if got := CRC64(0, []byte("123456789")); got != 0xe9c6d914c4b8d9ca {
		t.Fatalf("got %x, want e9c6d914c4b8d9ca", got)
	}
	// incremental == whole
	if CRC64(CRC64(0, []byte("1234")), []byte("56789")) != 0xe9c6d914c4b8d9ca {
		t.Fatal("incremental CRC differs from whole")
	}
}
