package threat

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"time"
)

// Options tune learning and alerting. Start from DefaultOptions.
type Options struct {
	// Window is how long each device is learned from its first observation
	// before deviations raise alerts.
	Window time.Duration
	// MinObservations extends learning past Window until the device was
	// seen this many times: a quiet device's first hours say little.
	MinObservations int64
	// DedupWindow groups repeats of one deviation, and every deviation of
	// one conversation, into one alert.
	DedupWindow time.Duration
	// RateLimit is the most new alerts per device per hour; beyond it one
	// alert_rate_exceeded alert counts the rest.
	RateLimit int
	// MaxSet bounds each learned set of a device (attacker traffic must not
	// grow it without limit). A full set stops alerting on its kind.
	MaxSet int
	// MaxHours bounds the learned hourly volumes kept per device.
	MaxHours int
	// Volume alerts fire when an hour exceeds max(VolumeFactor × the
	// learned maximum, mean + VolumeSigma × std, VolumeFloor bytes), and
	// only for devices with at least VolumeMinHours learned hours.
	VolumeFactor   float64
	VolumeSigma    float64
	VolumeFloor    int64
	VolumeMinHours int
	// Internal are the site's own prefixes; RFC 1918, ULA, CGNAT and
	// link-local addresses are always internal.
	Internal []netip.Prefix
	// Indicators are known-bad IPs, domains and JA3/JA4 hashes.
	Indicators *Indicators
	Logger     *slog.Logger
}

// DefaultOptions are the production defaults: a week of learning.
func DefaultOptions() Options {
	return Options{
		Window:          7 * 24 * time.Hour,
		DedupWindow:     time.Hour,
		MinObservations: 100,
		RateLimit:       10,
		MaxSet:          4096,
		MaxHours:        24 * 14,
		VolumeFactor:    10,
		VolumeSigma:     6,
		VolumeFloor:     50 << 20,
		VolumeMinHours:  1,
	}
}

// Validate checks the options.
func (o Options) Validate() error {
	var errs []error
	if o.Window <= 0 {
		errs = append(errs, fmt.Errorf("window must be positive, got %s", o.Window))
	}
	if o.DedupWindow < 0 {
		errs = append(errs, fmt.Errorf("dedup window must not be negative, got %s", o.DedupWindow))
	}
	if o.RateLimit < 1 {
		errs = append(errs, fmt.Errorf("rate limit must be >= 1 alert per device per hour, got %d", o.RateLimit))
	}
	if o.MaxSet < 1 || o.MaxHours < 1 {
		errs = append(errs, errors.New("set and hour bounds must be >= 1"))
	}
	if o.VolumeFactor < 1 || o.VolumeSigma < 0 || o.VolumeFloor < 0 {
		errs = append(errs, fmt.Errorf("volume factor must be >= 1 and sigma/floor >= 0 (got %g, %g, %d)", o.VolumeFactor, o.VolumeSigma, o.VolumeFloor))
	}
	return errors.Join(errs...)
}

var alwaysInternal = []netip.Prefix{
	netip.MustParsePrefix("100.64.0.0/10"), // CGNAT
}

// internal reports whether a is a site address rather than a public one.
func (o *Options) internal(a netip.Addr) bool {
	a = a.Unmap()
	if a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() || a.IsMulticast() || a.IsUnspecified() ||
		a.IsLinkLocalMulticast() || a.IsInterfaceLocalMulticast() || (a.Is4() && a.As4() == [4]byte{255, 255, 255, 255}) {
		return true
	}
	for _, p := range alwaysInternal {
		if p.Contains(a) {
			return true
		}
	}
	for _, p := range o.Internal {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// subnet is the /24 (IPv4) or /64 (IPv6) holding a.
func subnet(a netip.Addr) string {
	a = a.Unmap()
	bits := 64
	if a.Is4() {
		bits = 24
	}
	p, err := a.Prefix(bits)
	if err != nil {
		return a.String()
	}
	return p.String()
}
