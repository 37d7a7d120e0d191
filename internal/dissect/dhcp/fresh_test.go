package dhcp

import (
	"testing"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/dissect/dissecttest"
)

// TestOneDissectorLikeFresh dissects every matching datagram of the test
// captures, twice over, with one dissector (whose caches carry over) and
// with a fresh dissector each: the observations must be the same.
func TestOneDissectorLikeFresh(t *testing.T) {
	dissecttest.AssertUDPLikeFresh(t, func() dissect.UDPDissector { return New() }, dissecttest.UDPMeta(), benchCaptures...)
}
