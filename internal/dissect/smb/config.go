package smb

// config bounds how much of a conversation is read.
type config struct {
	// MaxMessage is the largest NetBIOS message buffered; larger ones
	// (reads and writes of file data) are stepped over unread.
	MaxMessage int
	// MaxMessages ends inspection after this many messages per direction,
	// in case no session setup ever completes.
	MaxMessages int
	// MaxValue caps every emitted string.
	MaxValue int
}

func defaultConfig() config {
	return config{MaxMessage: 64 << 10, MaxMessages: 32, MaxValue: 256}
}
