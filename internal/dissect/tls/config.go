package tls

// config bounds the handshake reading.
type config struct {
	// MaxHandshake bounds one direction's buffered handshake bytes: a
	// message (typically a certificate chain) larger than this is skipped
	// and ends that direction.
	MaxHandshake int
	// MaxCerts is how many certificates of one chain are parsed.
	MaxCerts int
	// MaxValue caps every emitted string.
	MaxValue int
}

func defaultConfig() config {
	return config{MaxHandshake: 64 << 10, MaxCerts: 8, MaxValue: 256}
}
