package cmms

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
)

// HTTPDoer sends requests; *http.Client satisfies it.
type HTTPDoer interface {
	Do(*http.Request) (*http.Response, error)
}

// post sends body and classifies the answer: 2xx is success, 408/429/5xx and
// transport errors are retried, any other status is permanent.
func post(ctx context.Context, c HTTPDoer, url string, body []byte, hdr http.Header) error {
	_, err := postRead(ctx, c, url, body, hdr)
	return err
}

// postRead is post that also returns the start of a successful answer.
func postRead(ctx context.Context, c HTTPDoer, url string, body []byte, hdr http.Header) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, &PermanentError{fmt.Errorf("request: %w", err)}
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("POST %s: %w", url, err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 == 2 {
		return answer, nil
	}
	if len(answer) > 512 {
		answer = answer[:512]
	}
	err = fmt.Errorf("POST %s: %s: %s", url, resp.Status, bytes.TrimSpace(answer))
	switch {
	case resp.StatusCode == http.StatusRequestTimeout, resp.StatusCode == http.StatusTooManyRequests, resp.StatusCode >= 500:
		return nil, err
	}
	return nil, &PermanentError{err}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
