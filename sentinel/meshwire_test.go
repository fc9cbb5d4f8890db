package sentinel

import (
	"context"
	"errors"
	"testing"

	"github.com/rs/zerolog"

	"github.com/vigil-db/vigil/config"
	"github.com/vigil-db/vigil/mesh"
)

// TestSharedMesh: a sentinel given a mesh (Options.Mesh, as a node that owns
// one) announces that mesh's address and leaves it running when it stops;
// closing it stays its owner's job.
func TestSharedMesh(t *testing.T) {
	log := zerolog.New(zerolog.NewTestWriter(t))
	mh, err := mesh.New(mesh.Config{Name: id40, BindAddr: "127.0.0.1", Logger: log, Fast: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = mh.Close(0) })
	cfg := &Config{Server: config.Default(), MyID: id40}
	s, err := New(cfg, Options{Log: log, Mesh: mh})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = s.Run(ctx); close(done) }()
	var host string
	var port int
	if err := s.do(func() { host, port = s.meshAddr() }); err != nil {
		t.Fatal(err)
	}
	if wh, wp := mh.AdvertisedAddr(); host != wh || port != wp {
		t.Fatalf("announced gossip address: got %s:%d, want the shared mesh's %s:%d", host, port, wh, wp)
	}
	cancel()
	<-done
	if _, err := mh.Join([]string{"127.0.0.1:1"}); errors.Is(err, mesh.ErrShutdown) {
		t.Fatal("the sentinel shut down a mesh it does not own")
	}
}
