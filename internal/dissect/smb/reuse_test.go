package smb

import (
	"testing"

	"github.com/wardiomt/ward/internal/dissect/dissecttest"
)

// TestOneDissectorLikeFresh replays every SMB conversation of the test
// captures through one dissector, whose caches and reused streams carry
// over from conversation to conversation, and through a fresh dissector
// each: the observations must be the same.
func TestOneDissectorLikeFresh(t *testing.T) {
	finished, n := dissecttest.AssertTCPLikeFresh(t, newTCP, meta, 1, benchCaptures...)
	if finished < 2 {
		t.Errorf("only %d of %d conversations finished: reuse not exercised", finished, n)
	}
}
