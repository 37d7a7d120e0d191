package http

import (
	"testing"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/dissect/dissecttest"
	"github.com/wardiomt/ward/internal/testutil"
)

// TestSharedCaptures runs the dissector over every shared capture: no
// panic, and the bytes it inspected against those skipped once done.
func TestSharedCaptures(t *testing.T) {
	dissecttest.SharedCaptures(t, testutil.SharedData(t, "pcaps"), func() dissect.Dissector { return New() })
}

func TestOracle(t *testing.T) {
	cols := map[string]string{
		"http.host":       "http.host",
		"http.user_agent": "http.user_agent",
		"http.server":     "http.server",
		"http.location":   "http.location",
	}
	dissecttest.CompareOracle(t, testutil.SharedData(t, "pcaps"), func() dissect.Dissector { return New() }, func(_ string, _ int, row map[string][]string) map[string][]string {
		w := map[string][]string{}
		if len(row["tcp.srcport"]) == 0 {
			return w // SSDP and other HTTP over UDP belong to other dissectors
		}
		for col, key := range cols {
			if v := row[col]; len(v) > 0 {
				w[key] = v
			}
		}
		return w
	}, nil)
}
