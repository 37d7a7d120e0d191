package cmms

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"
)

// receiver is a CMMS endpoint that dedupes on idempotency keys and
// misbehaves on purpose: every `fail`th request answers 503, every
// `slow`th applies the change but answers too late (the sender times out and
// retries), every `drop`th closes the connection without an answer.
type receiver struct {
	mu       sync.Mutex
	n        int
	fail     int
	slow     int
	drop     int
	delay    time.Duration
	requests int
	applied  map[string]bool    // idempotency key -> applied
	dupes    int                // replays recognised by key
	order    map[string][]int64 // device -> event ids in the order applied
	answer   func() any         // the JSON answer; nil: {"status":"ok"}
}

func newReceiver() *receiver {
	return &receiver{applied: map[string]bool{}, order: map[string][]int64{}}
}

// mode decides this request's fate: 0 ok, 1 fail, 2 slow, 3 drop.
func (r *receiver) mode() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.n++
	r.requests++
	switch {
	case r.fail > 0 && r.n%r.fail == 0:
		return 1
	case r.drop > 0 && r.n%r.drop == 0:
		return 3
	case r.slow > 0 && r.n%r.slow == 0:
		return 2
	}
	return 0
}

// apply records one change under its key; a replay is counted, not applied.
func (r *receiver) apply(key, device string, event int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.applied[key] {
		r.dupes++
		return
	}
	r.applied[key] = true
	r.order[device] = append(r.order[device], event)
}

// serve wraps a body handler that returns the changes in the request.
func (r *receiver) serve(t *testing.T, parse func(*http.Request) ([]change, error)) *httptest.Server {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		m := r.mode()
		switch m {
		case 1:
			http.Error(w, "maintenance", http.StatusServiceUnavailable)
			return
		case 3:
			hj, _ := w.(http.Hijacker)
			c, _, err := hj.Hijack()
			if err == nil {
				c.Close()
			}
			return
		}
		chs, err := parse(req)
		if err != nil {
			t.Errorf("receiver: %v", err)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		for _, c := range chs {
			r.apply(c.key, c.device, c.event)
		}
		if m == 2 {
			time.Sleep(r.delay)
		}
		var ans any = map[string]string{"status": "ok"}
		if r.answer != nil {
			ans = r.answer()
		}
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(ans)
	}))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

type change struct {
	key, device string
	event       int64
}

// check asserts every expected key was applied once and each device's
// changes were applied in event order.
func (r *receiver) check(t *testing.T, want map[string]bool) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for k := range want {
		if !r.applied[k] {
			t.Errorf("key %s never delivered", k)
		}
	}
	for k := range r.applied {
		if !want[k] {
			t.Errorf("unexpected key %s", k)
		}
	}
	for dev, evs := range r.order {
		if !slices.IsSorted(evs) {
			t.Errorf("device %s: changes applied out of order: %v", dev, evs)
		}
	}
}
