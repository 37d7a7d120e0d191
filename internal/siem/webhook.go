package siem

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Signature headers of the webhook. The signature is
// hex(HMAC-SHA256(secret, timestamp + "." + body)), so a receiver can
// reject replays by the timestamp.
const (
	HeaderSignature = "X-Ward-Signature" // "sha256=<hex>"
	HeaderTimestamp = "X-Ward-Timestamp" // Unix seconds
)

// Webhook posts events as JSON ({"events":[...]}) signed with a shared secret.
type Webhook struct {
	URL    string
	Secret []byte
	Client *http.Client
	Now    func() time.Time
}

// Sign returns the signature header value of body at ts.
func Sign(secret []byte, ts int64, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(strconv.FormatInt(ts, 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify checks a received signature in constant time.
func Verify(secret []byte, tsHeader, sigHeader string, body []byte, now time.Time, maxSkew time.Duration) error {
	ts, err := strconv.ParseInt(tsHeader, 10, 64)
	if err != nil {
		return fmt.Errorf("webhook timestamp: %w", err)
	}
	if d := now.Sub(time.Unix(ts, 0)); d > maxSkew || d < -maxSkew {
		return fmt.Errorf("webhook timestamp %d outside %s of now", ts, maxSkew)
	}
	if !hmac.Equal([]byte(Sign(secret, ts, body)), []byte(sigHeader)) {
		return errors.New("webhook signature mismatch")
	}
	return nil
}

// Send posts evs in one request; non-2xx answers are errors.
func (w *Webhook) Send(ctx context.Context, evs ...Event) error {
	if len(w.Secret) == 0 {
		return errors.New("webhook: no secret configured")
	}
	body, err := json.Marshal(map[string]any{"events": evs})
	if err != nil {
		return fmt.Errorf("webhook: encode: %w", err)
	}
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	ts := now().Unix()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderSignature, Sign(w.Secret, ts, body))
	c := w.Client
	if c == nil {
		c = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("webhook %s: %w", w.URL, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("webhook %s: status %s", w.URL, resp.Status)
	}
	return nil
}
