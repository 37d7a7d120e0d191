package threat

import (
	"math"
	"slices"
	"time"
)

// Entry is one learned value of a baseline set.
type Entry struct {
	First time.Time `json:"first"`
	Last  time.Time `json:"last"`
	Count int64     `json:"count"`
}

// Set is a bounded set of learned values.
type Set map[string]*Entry

func (s Set) has(k string) bool { _, ok := s[k]; return ok }

// add records k at t and reports whether k was new. A full set keeps
// counting known values but takes no new ones (see saturated).
func (s Set) add(k string, t time.Time, limit int) bool {
	if e, ok := s[k]; ok {
		e.Count++
		if t.After(e.Last) {
			e.Last = t
		}
		return false
	}
	if len(s) >= limit {
		return true
	}
	s[k] = &Entry{First: t, Last: t, Count: 1}
	return true
}

// sample returns up to n known values, sorted, for an alert's explanation.
func (s Set) sample(n int) []string {
	keys := make([]string, 0, len(s))
	for k := range s {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if len(keys) > n {
		keys = keys[:n]
	}
	return keys
}

// HourVolume is the traffic of one device during one clock hour.
type HourVolume struct {
	Hour  time.Time `json:"hour"`
	Bytes int64     `json:"bytes"`
	Flows int64     `json:"flows"`
}

// Baseline is what a device did during its learning window.
type Baseline struct {
	Site          string       `json:"site"`
	DeviceID      string       `json:"device_id"`
	From          time.Time    `json:"learning_from"`
	Until         time.Time    `json:"learning_until"`
	Observations  int64        `json:"observations"`
	Peers         Set          `json:"peers"`         // internal addresses talked to, either direction
	Subnets       Set          `json:"subnets"`       // internal subnets of those peers
	PublicIPs     Set          `json:"public_ips"`    // public addresses this device connected to
	DNSNames      Set          `json:"dns_names"`     // names queried, SNI and HTTP hosts sent
	PortsOut      Set          `json:"ports_out"`     // "tcp/443": responder ports this device connected to
	Services      Set          `json:"services"`      // "tcp/23": ports this device listens on
	Protocols     Set          `json:"protocols"`     // protocols spoken
	Conversations Set          `json:"conversations"` // "out|10.0.0.5|tcp/445", "in|10.0.0.9|tcp/104"
	Cleartext     Set          `json:"cleartext"`     // "telnet|10.0.0.9": cleartext credentials kind and peer
	Hours         []HourVolume `json:"hours"`         // closed hours of the learning window, oldest first
	Current       HourVolume   `json:"current"`       // the hour being counted
	VolumeAlerted time.Time    `json:"volume_alerted,omitzero"`
}

func newBaseline(site, id string, t time.Time, window time.Duration) *Baseline {
	b := &Baseline{Site: site, DeviceID: id, From: t, Until: t.Add(window)}
	b.init()
	return b
}

// init makes nil sets usable (after decoding an older document).
func (b *Baseline) init() {
	for _, s := range []*Set{&b.Peers, &b.Subnets, &b.PublicIPs, &b.DNSNames, &b.PortsOut, &b.Services, &b.Protocols, &b.Conversations, &b.Cleartext} {
		if *s == nil {
			*s = Set{}
		}
	}
}

// Learning reports whether t is still inside the learning window.
func (b *Baseline) Learning(t time.Time) bool { return t.Before(b.Until) }

// addBytes counts traffic into the hour of t; a finished hour inside the
// learning window becomes part of the learned range.
func (b *Baseline) addBytes(t time.Time, n int64, maxHours int) {
	h := t.UTC().Truncate(time.Hour)
	if !b.Current.Hour.Equal(h) {
		if !b.Current.Hour.IsZero() && h.After(b.Current.Hour) && b.Current.Hour.Before(b.Until) {
			b.Hours = append(b.Hours, b.Current)
			if len(b.Hours) > maxHours {
				b.Hours = b.Hours[len(b.Hours)-maxHours:]
			}
		}
		if h.Before(b.Current.Hour) {
			return // late data for a closed hour: the learned range is fixed
		}
		b.Current = HourVolume{Hour: h}
	}
	b.Current.Bytes += n
	b.Current.Flows++
}

// VolumeRange summarises the learned hourly volume.
type VolumeRange struct {
	Hours int     `json:"hours"`
	Max   int64   `json:"max"`
	Mean  float64 `json:"mean"`
	Std   float64 `json:"std"`
	Limit int64   `json:"limit"` // above this an hour is far outside the range
}

// Volume returns the learned range and the alert limit under o.
func (b *Baseline) Volume(o Options) VolumeRange {
	r := VolumeRange{Hours: len(b.Hours)}
	if r.Hours == 0 {
		return r
	}
	var sum float64
	for _, h := range b.Hours {
		sum += float64(h.Bytes)
		r.Max = max(r.Max, h.Bytes)
	}
	r.Mean = sum / float64(r.Hours)
	var v float64
	for _, h := range b.Hours {
		d := float64(h.Bytes) - r.Mean
		v += d * d
	}
	r.Std = math.Sqrt(v / float64(r.Hours))
	lim := max(float64(r.Max)*o.VolumeFactor, r.Mean+o.VolumeSigma*r.Std, float64(o.VolumeFloor))
	r.Limit = int64(lim)
	return r
}
