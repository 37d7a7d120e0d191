package uplink

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wardiomt/ward/internal/observe"
)

// Config configures a Client.
type Config struct {
	Server        string        // base URL, e.g. https://ward.example:8080
	Token         string        // sensor API token
	Sensor        string        // this sensor's name
	Site          string        // site the token feeds ("" lets the server use the token's site)
	Spool         *Spool        // required
	BatchSize     int           // observations per batch (default 2000)
	FlushInterval time.Duration // a partial batch is spooled after this long (default 5s)
	HTTP          *http.Client  // default: 30s timeout
	MinBackoff    time.Duration
	MaxBackoff    time.Duration
	Logger        *slog.Logger
}

// Stats counts what the client did.
type Stats struct {
	Spooled    int64 // batches written to the spool
	Sent       int64 // batches the server acknowledged
	Duplicates int64 // acknowledged as already applied
	Rejected   int64 // refused as malformed (moved to rejected/)
	Failures   int64 // failed attempts (network, 5xx, auth), retried
	Backlog    int   // batches spooled now
	Dropped    int64 // batches dropped from the full spool, ever
}

// Client batches observations into the spool and sends the spool to the server.
type Client struct {
	cfg  Config
	log  *slog.Logger
	kick chan struct{}

	mu    sync.Mutex
	buf   []observe.Observation
	enc   Encoder   // batches are encoded under mu, one at a time
	first time.Time // when the oldest buffered observation arrived
	err   error     // first spool write error
	stats Stats
}

// New checks cfg and returns a client.
func New(cfg Config) (*Client, error) {
	if cfg.Spool == nil {
		return nil, errors.New("uplink: a spool is required")
	}
	if !strings.HasPrefix(cfg.Server, "http://") && !strings.HasPrefix(cfg.Server, "https://") {
		return nil, fmt.Errorf("uplink: server %q must be an http:// or https:// URL", cfg.Server)
	}
	cfg.Server = strings.TrimRight(cfg.Server, "/")
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 2000
	}
	if cfg.FlushInterval <= 0 {
		cfg.FlushInterval = 5 * time.Second
	}
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{Timeout: 30 * time.Second}
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = 500 * time.Millisecond
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = max(30*time.Second, cfg.MinBackoff)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Client{cfg: cfg, log: cfg.Logger, kick: make(chan struct{}, 1)}, nil
}

// Emit buffers a clone of o and spools a full batch.
func (c *Client) Emit(o *observe.Observation) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.buf) == 0 {
		c.first = time.Now()
	}
	c.buf = append(c.buf, o.Clone())
	if len(c.buf) >= c.cfg.BatchSize {
		c.flushLocked()
	}
}

// Flush spools the buffered observations as one batch now.
func (c *Client) Flush() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.flushLocked()
	return c.err
}

// Err returns the first error writing the spool.
func (c *Client) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

func (c *Client) flushLocked() {
	if len(c.buf) == 0 {
		return
	}
	b := Batch{BatchID: NewBatchID(), Sensor: c.cfg.Sensor, Site: c.cfg.Site, Observations: c.buf}
	data, err := c.enc.Encode(&b)
	if err == nil {
		err = c.cfg.Spool.Put(data)
	}
	if err != nil {
		if c.err == nil {
			c.err = err
		}
		c.log.Error("observations lost: cannot spool batch", "observations", len(c.buf), "err", err)
	} else {
		c.stats.Spooled++
	}
	c.buf = make([]observe.Observation, 0, c.cfg.BatchSize)
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// Stats returns the counters.
func (c *Client) Stats() Stats {
	c.mu.Lock()
	st := c.stats
	c.mu.Unlock()
	st.Backlog, _ = c.cfg.Spool.Len()
	st.Dropped = c.cfg.Spool.Dropped()
	return st
}

// Run sends spooled batches until ctx ends, spooling partial batches every
// FlushInterval. Outages are retried with exponential backoff.
func (c *Client) Run(ctx context.Context) error {
	tick := time.NewTicker(min(c.cfg.FlushInterval, time.Second))
	defer tick.Stop()
	backoff := c.cfg.MinBackoff
	for {
		c.mu.Lock()
		if len(c.buf) > 0 && time.Since(c.first) >= c.cfg.FlushInterval {
			c.flushLocked()
		}
		c.mu.Unlock()
		sent, err := c.SendOne(ctx)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			c.log.Warn("upload failed, will retry", "err", err, "retry_in", backoff)
			if !sleep(ctx, backoff) {
				return nil
			}
			backoff = min(backoff*2, c.cfg.MaxBackoff)
			continue
		case sent:
			backoff = c.cfg.MinBackoff
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-c.kick:
		case <-tick.C:
		}
	}
}

// Drain sends until the spool is empty (after a final Flush) or ctx ends.
func (c *Client) Drain(ctx context.Context) error {
	if err := c.Flush(); err != nil {
		return err
	}
	backoff := c.cfg.MinBackoff
	for {
		sent, err := c.SendOne(ctx)
		if ctx.Err() != nil {
			n, _ := c.cfg.Spool.Len()
			return fmt.Errorf("uplink: %d batches still spooled: %w", n, ctx.Err())
		}
		if err != nil {
			c.log.Warn("upload failed, will retry", "err", err, "retry_in", backoff)
			if !sleep(ctx, backoff) {
				continue
			}
			backoff = min(backoff*2, c.cfg.MaxBackoff)
			continue
		}
		if !sent {
			return nil
		}
		backoff = c.cfg.MinBackoff
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// errPermanent marks a batch the server will never accept.
type errPermanent struct{ msg string }

func (e errPermanent) Error() string { return e.msg }

// SendOne sends the oldest spooled batch. It reports whether the spool
// advanced (a batch was acknowledged or quarantined); false with a nil error
// means the spool is empty.
func (c *Client) SendOne(ctx context.Context) (bool, error) {
	name, data, err := c.cfg.Spool.Oldest()
	if errors.Is(err, ErrEmpty) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	backlog, _ := c.cfg.Spool.Len()
	res, err := c.post(ctx, data, backlog-1)
	var perm errPermanent
	if errors.As(err, &perm) {
		c.log.Error("server refused batch; moved to rejected/", "batch_file", name, "err", err)
		c.mu.Lock()
		c.stats.Rejected++
		c.mu.Unlock()
		return true, c.cfg.Spool.Quarantine(name)
	}
	if err != nil {
		c.mu.Lock()
		c.stats.Failures++
		c.mu.Unlock()
		return false, err
	}
	c.mu.Lock()
	c.stats.Sent++
	if !res.Applied {
		c.stats.Duplicates++
	}
	c.mu.Unlock()
	return true, c.cfg.Spool.Remove(name)
}

func (c *Client) post(ctx context.Context, body []byte, backlog int) (Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.Server+UploadPath, bytes.NewReader(body))
	if err != nil {
		return Response{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Content-Encoding", "gzip")
	req.Header.Set("Authorization", "Bearer "+c.cfg.Token)
	req.Header.Set(HeaderBacklog, strconv.Itoa(max(backlog, 0)))
	req.Header.Set(HeaderDropped, strconv.FormatInt(c.cfg.Spool.Dropped(), 10))
	resp, err := c.cfg.HTTP.Do(req)
	if err != nil {
		return Response{}, err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode == http.StatusOK:
		var r Response
		if err := json.Unmarshal(msg, &r); err != nil {
			return Response{}, fmt.Errorf("upload: bad response: %w", err)
		}
		return r, nil
	case resp.StatusCode == http.StatusBadRequest || resp.StatusCode == http.StatusRequestEntityTooLarge:
		return Response{}, errPermanent{fmt.Sprintf("upload: %s: %s", resp.Status, strings.TrimSpace(string(msg)))}
	default:
		// 401/403 are configuration errors an operator fixes; keep the data meanwhile.
		return Response{}, fmt.Errorf("upload: %s: %s", resp.Status, strings.TrimSpace(string(msg)))
	}
}
