// Command server is Ward's server load test: 50 remote sensors upload
// observation batches while 20 UI users page through device lists, against
// an inventory of 100k devices, for a minute, over HTTP on 127.0.0.1. It
// prints latency percentiles per request kind.
//
//	go run ./bench/server [-db postgres://...] [-devices 100000] [-sensors 50] [-users 20] [-duration 1m]
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wardiomt/ward/internal/auth"
	"github.com/wardiomt/ward/internal/db"
	"github.com/wardiomt/ward/internal/inventory"
	"github.com/wardiomt/ward/internal/observe"
	"github.com/wardiomt/ward/internal/server"
	"github.com/wardiomt/ward/internal/uplink"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench/server:", err)
		os.Exit(1)
	}
}

var (
	dsn      = flag.String("db", "", "database (default: a temporary SQLite file)")
	devices  = flag.Int("devices", 100_000, "devices in the inventory")
	sites    = flag.Int("sites", 10, "sites the devices are spread over")
	sensors  = flag.Int("sensors", 50, "uploading sensors")
	users    = flag.Int("users", 20, "browsing UI users")
	duration = flag.Duration("duration", time.Minute, "load duration")
	batchObs = flag.Int("batch", 200, "observations per sensor batch")
	interval = flag.Duration("interval", 5*time.Second, "time between a sensor's batches (a sensor flushes every 5s by default)")
	think    = flag.Duration("think", 0, "pause between a UI user's requests")
	alerts   = flag.Bool("alerts", true, "baseline uploaded batches with the threat engine, as ward serve does")
	cpuprof  = flag.String("cpuprofile", "", "write a CPU profile of the load phase")
	slowest  = flag.Int("slowest", 0, "list this many slowest UI requests with when in the run they ended")
	aligned  = flag.Bool("aligned", false, "start every sensor's flush clock and every UI user at once (the worst case: all 50 batches arrive together, 20 users on empty connection pools); by default each sensor starts at a random point of the interval, as sensors switched on at different times do, and each user after a think time")
)

func dhcpObs(site, i int, at time.Time) observe.Observation {
	o := observe.Observation{
		Time:    at,
		SrcMAC:  net.HardwareAddr{0x00, 0x09, 0xfb, byte(site), byte(i >> 8), byte(i)},
		SrcIP:   netip.AddrFrom4([4]byte{10, byte(site), byte(i >> 8), byte(i)}),
		DstIP:   netip.AddrFrom4([4]byte{10, byte(site), 255, 254}),
		SrcPort: 68, DstPort: 67, Transport: "udp", Protocol: "dhcp",
	}
	o.Add("dhcp.hostname", fmt.Sprintf("dev-%d-%d", site, i))
	o.Add("dhcp.vendor_class", []string{"MSFT 5.0", "dhcpcd-9.4.1:Linux", "Philips IntelliVue", "BD Alaris PCU"}[i%4])
	return o
}

func run() error {
	flag.Parse()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	tmp, err := os.MkdirTemp("", "ward-bench-server-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if *dsn == "" {
		*dsn = filepath.Join(tmp, "ward.db")
	}
	d, err := db.Open(ctx, *dsn)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := ensureSchema(ctx, d); err != nil {
		return err
	}
	// The stack's background stages stop (deferred, so before d closes).
	stackCtx, stopStack := context.WithCancel(ctx)
	defer stopStack()
	st, err := server.NewStack(stackCtx, d, server.StackOptions{Logger: log, NoAlerts: !*alerts})
	if err != nil {
		return err
	}
	if _, err := st.Auth.EnsureOrg(ctx, "bench", "bench", ""); err != nil {
		return err
	}
	siteIDs := make([]string, *sites)
	for s := range siteIDs {
		siteIDs[s] = fmt.Sprintf("site-%02d", s)
		if _, err := st.Auth.CreateSite(ctx, "bench", "bench", siteIDs[s], ""); err != nil && !errors.Is(err, auth.ErrExists) {
			return err
		}
	}
	viewer, _, err := st.Auth.CreateToken(ctx, "bench", "bench", auth.Viewer, "", "ui")
	if err != nil {
		return err
	}
	// The inventory, generated through the service as sensors would fill it
	// (skipped when -db already holds it).
	start := time.Now()
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	per := *devices / *sites
	_, have, err := st.Inventory.Devices(ctx, inventory.DeviceFilter{Limit: 1})
	if err != nil {
		return err
	}
	for s := range siteIDs {
		if have >= per**sites {
			break
		}
		for lo := 0; lo < per; lo += 5000 {
			obs := make([]observe.Observation, 0, 5000)
			for i := lo; i < min(lo+5000, per); i++ {
				obs = append(obs, dhcpObs(s, i, base.Add(time.Duration(i)*time.Second)))
			}
			if _, err := st.Inventory.Ingest(ctx, siteIDs[s], obs); err != nil {
				return err
			}
		}
	}
	fmt.Printf("inventory: %d devices in %d sites, built in %s (%s)\n", per**sites, *sites, time.Since(start).Round(time.Second), d.Dialect)
	// A production PostgreSQL runs autovacuum, which keeps statistics and
	// the visibility map (index-only scans) current after a bulk load; CI's
	// server has it off, so do once what it would have done.
	if d.Dialect == db.Postgres {
		if _, err := d.ExecContext(ctx, "VACUUM ANALYZE"); err != nil {
			return fmt.Errorf("vacuum: %w", err)
		}
	}

	h, err := server.Handler(server.Config{API: st.API, DB: d, Logger: log})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = server.New(server.Config{API: st.API, Logger: log}, h).Serve(sctx, ln, "", "")
	}()
	// Stop serving (in-flight requests finish) before the database closes.
	defer func() { stop(); <-served }()
	url := "http://" + ln.Addr().String()

	if *cpuprof != "" {
		f, err := os.Create(*cpuprof)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	runOffset := time.Duration(time.Now().UnixNano() % int64(24*time.Hour)).Truncate(time.Millisecond)
	lctx, cancel := context.WithTimeout(ctx, *duration)
	defer cancel()
	var wg sync.WaitGroup
	rec := newRecorder()
	var uploaded, applied atomic.Int64
	for n := 0; n < *sensors; n++ {
		s := n % *sites
		tok, _, err := st.Auth.CreateToken(ctx, "bench", "bench", auth.Sensor, siteIDs[s], fmt.Sprintf("sensor-%d", n))
		if err != nil {
			return err
		}
		sp, err := uplink.OpenSpool(filepath.Join(tmp, fmt.Sprintf("spool-%d", n)), 1000, 0, nil)
		if err != nil {
			return err
		}
		tr := &timing{rec: rec, kind: "POST upload", next: http.DefaultTransport}
		c, err := uplink.New(uplink.Config{Server: url, Token: tok, Sensor: fmt.Sprintf("sensor-%d", n), Spool: sp, BatchSize: *batchObs,
			HTTP: &http.Client{Transport: tr, Timeout: 30 * time.Second}})
		if err != nil {
			return err
		}
		wg.Add(1)
		go func(n, s int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(n), 1))
			if !*aligned {
				select {
				case <-lctx.Done():
					return
				case <-time.After(time.Duration(rng.Int64N(int64(*interval)))):
				}
			}
			tick := time.NewTicker(*interval)
			defer tick.Stop()
			// The sensor clock starts two days after the inventory's, plus
			// an offset of this run (under a day, well inside the 7 days
			// after which devices go silent): a batch is applied once (by
			// digest), so with a reused -db inventory the same timestamps
			// as an earlier run would only be skipped.
			// It runs at wall-clock speed: a batch's observations are spread
			// over the interval it covers, as a sensor's are.
			clock := base.Add(48*time.Hour + runOffset)
			loadStart := time.Now()
			for {
				// A batch of traffic from existing devices of the site, some new.
				end := clock.Add(time.Since(loadStart))
				for i := 0; i < *batchObs; i++ {
					at := end.Add(-*interval + time.Duration(i+1)*(*interval)/time.Duration(*batchObs))
					o := dhcpObs(s, rng.IntN(per+per/50), at)
					c.Emit(&o)
				}
				if _, err := c.SendOne(lctx); err == nil {
					uploaded.Add(1)
				}
				select {
				case <-lctx.Done():
					applied.Add(c.Stats().Sent)
					return
				case <-tick.C:
				}
			}
		}(n, s)
	}
	sorts := []string{"id", "-last_seen", "hostname", "ip", "-manufacturer", "type"}
	for u := 0; u < *users; u++ {
		wg.Add(1)
		go func(u int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(u), 2))
			// A browser keeps its connections to the server open.
			cl := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 6}}
			// Users arrive over a think time, not all in the same millisecond
			// (which, on connection pools still empty, made the whole tail).
			if *think > 0 && !*aligned {
				select {
				case <-lctx.Done():
				case <-time.After(time.Duration(rng.Int64N(int64(*think) * 2))):
				}
			}
			for lctx.Err() == nil {
				var path, kind string
				switch r := rng.IntN(10); {
				case r < 6:
					kind = "GET devices page"
					path = fmt.Sprintf("/api/v1/devices?site=%s&sort=%s&limit=50&offset=%d", siteIDs[rng.IntN(*sites)], sorts[rng.IntN(len(sorts))], rng.IntN(per/50)*50)
				case r < 8:
					kind = "GET devices search"
					path = fmt.Sprintf("/api/v1/devices?site=%s&q=dev-%d-%d&limit=50", siteIDs[rng.IntN(*sites)], rng.IntN(*sites), rng.IntN(per))
				case r < 9:
					kind = "GET devices all sites"
					path = fmt.Sprintf("/api/v1/devices?sort=%s&limit=50&offset=%d", sorts[rng.IntN(len(sorts))], rng.IntN(20)*50)
				default:
					kind = "GET sensors"
					path = "/api/v1/sensors"
				}
				req, _ := http.NewRequestWithContext(lctx, "GET", url+path, nil)
				req.Header.Set("Authorization", "Bearer "+viewer)
				t0 := time.Now()
				resp, err := cl.Do(req)
				if err != nil {
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					rec.fail(kind)
					continue
				}
				rec.add(kind, time.Since(t0))
				if *think > 0 {
					select {
					case <-lctx.Done():
					case <-time.After(time.Duration(rng.Int64N(int64(*think) * 2))):
					}
				}
			}
		}(u)
	}
	wg.Wait()
	fmt.Printf("load: %d sensors (batches of %d observations every %s), %d UI users, %s, %s on 127.0.0.1\n",
		*sensors, *batchObs, *interval, *users, *duration, d.Dialect)
	fmt.Printf("uploads acknowledged: %d\n", applied.Load())
	rec.print()
	return nil
}

// ensureSchema creates the schema a PostgreSQL URL's search_path names
// (search_path=benchsrv keeps the bench's 100k devices apart from other
// data), so the inventory is built on the first run and reused after.
func ensureSchema(ctx context.Context, d *db.DB) error {
	if d.Dialect != db.Postgres {
		return nil
	}
	u, err := url.Parse(d.DSN)
	if err != nil {
		return err
	}
	schema, _, _ := strings.Cut(u.Query().Get("search_path"), ",")
	if schema = strings.TrimSpace(schema); schema == "" || schema == "public" {
		return nil
	}
	_, err = d.ExecContext(ctx, `CREATE SCHEMA IF NOT EXISTS "`+strings.ReplaceAll(schema, `"`, `""`)+`"`)
	return err
}

// timing records the latency of a client's requests.
type timing struct {
	rec  *recorder
	kind string
	next http.RoundTripper
}

func (t *timing) RoundTrip(r *http.Request) (*http.Response, error) {
	t0 := time.Now()
	resp, err := t.next.RoundTrip(r)
	if err == nil && resp.StatusCode == 200 {
		t.rec.add(t.kind, time.Since(t0))
	} else if r.Context().Err() == nil { // not the run ending mid-request
		t.rec.fail(t.kind)
	}
	return resp, err
}

type recorder struct {
	mu     sync.Mutex
	start  time.Time
	lat    map[string][]time.Duration
	slow   []slowReq
	failed map[string]int
}

// slowReq is a UI request's latency and when in the run it ended, for
// -slowest: a tail that gathers at the start is warm-up, not load.
type slowReq struct {
	kind    string
	at, lat time.Duration
}

func newRecorder() *recorder {
	return &recorder{start: time.Now(), lat: map[string][]time.Duration{}, failed: map[string]int{}}
}

func (r *recorder) add(kind string, d time.Duration) {
	r.mu.Lock()
	r.lat[kind] = append(r.lat[kind], d)
	if strings.HasPrefix(kind, "GET") {
		r.slow = append(r.slow, slowReq{kind, time.Since(r.start), d})
	}
	r.mu.Unlock()
}

func (r *recorder) fail(kind string) {
	r.mu.Lock()
	r.failed[kind]++
	r.mu.Unlock()
}

func (r *recorder) print() {
	kinds := make([]string, 0, len(r.lat))
	for k := range r.lat {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	fmt.Printf("%-24s %8s %8s %8s %8s %8s %6s\n", "request", "count", "p50", "p95", "p99", "max", "failed")
	for _, k := range kinds {
		l := r.lat[k]
		slices.Sort(l)
		q := func(p float64) string {
			return l[min(len(l)-1, int(p*float64(len(l))))].Round(10 * time.Microsecond).String()
		}
		fmt.Printf("%-24s %8d %8s %8s %8s %8s %6d\n", k, len(l), q(.5), q(.95), q(.99), l[len(l)-1].Round(10*time.Microsecond), r.failed[k])
	}
	if *slowest > 0 {
		slices.SortFunc(r.slow, func(a, b slowReq) int { return cmp.Compare(b.lat, a.lat) })
		fmt.Println("slowest UI requests (time into the run, latency):")
		for _, q := range r.slow[:min(*slowest, len(r.slow))] {
			fmt.Printf("  %-24s %8s %8s\n", q.kind, q.at.Round(time.Millisecond), q.lat.Round(10*time.Microsecond))
		}
	}
}
