package http

// config bounds how much of a conversation the dissector reads: device
// identity sits in the first exchanges, so the rest is not worth the cycles.
type config struct {
	// MaxMessages is how many requests (and as many responses) are read per
	// connection; keep-alive connections often repeat the first one, but the
	// second request is where an Authorization header follows a 401.
	MaxMessages int
	// MaxHeaderBytes bounds one message's header block.
	MaxHeaderBytes int
	// MaxBodySkip is the largest body stepped over to reach the next
	// message; a longer one is bulk transfer and ends inspection.
	MaxBodySkip int64
	// MaxValue caps every emitted string.
	MaxValue int
}

func defaultConfig() config {
	return config{
		MaxMessages:    4,
		MaxHeaderBytes: 16 << 10,
		MaxBodySkip:    64 << 10,
		MaxValue:       256,
	}
}
