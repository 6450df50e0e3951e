package main

import (
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/camera"
)

func TestListenAddrBindsLoopbackByDefault(t *testing.T) {
	for in, want := range map[string]string{
		"8080": "127.0.0.1:8080", ":8080": "127.0.0.1:8080", "127.0.0.1:0": "127.0.0.1:0",
		"0.0.0.0:80": "0.0.0.0:80", "[::1]:9000": "[::1]:9000",
	} {
		got, err := listenAddr("--web", in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for _, bad := range []string{"localhost:http", "1.2.3.4", "host:99999", ""} {
		_, err := listenAddr("--web", bad)
		require.Error(t, err, bad)
	}
}

// TestPreviewConcurrentPublishAndServe runs the classifier's publishing
// against page requests (go test -race checks the locking).
func TestPreviewConcurrentPublishAndServe(t *testing.T) {
	p, err := startPreview("127.0.0.1:0")
	require.NoError(t, err)
	defer p.close()
	src, err := camera.NewSynthetic(camera.Options{Width: 64, Height: 48})
	require.NoError(t, err)
	var wg sync.WaitGroup
	wg.Go(func() {
		var f camera.Frame
		in := &camera.Input{Pixels: make([]uint8, 32*32)}
		for i := range 200 {
			src.Read(&f)
			in.Pixels[i%len(in.Pixels)] = 255
			res := &result{Frame: i, Label: "1", Prob: 0.9, Top: []topEntry{{"1", 0.9}}, Found: true, Width: 64, Height: 48}
			p.publish(&f, in, res, 1, 32, 32, true)
		}
	})
	for range 4 {
		wg.Go(func() {
			for range 15 {
				for _, path := range []string{"", "state", "frame.jpg", "input.png"} {
					resp, err := http.Get(p.URL() + path)
					if err != nil {
						t.Error(err)
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			}
		})
	}
	wg.Wait()
}
