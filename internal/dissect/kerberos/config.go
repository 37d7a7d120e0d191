package kerberos

// Port is the KDC's port, UDP and TCP (RFC 4120 §7.2).
const Port = 88

// config bounds what one message and one connection may cost.
type config struct {
	// MaxRecord is the largest TCP record buffered; a larger one is passed
	// over. Windows' MaxTokenSize default is 48000, and a TGS-REQ carrying
	// a ticket with a large PAC comes close.
	MaxRecord int
	// MaxMessages is how many messages of each direction of a TCP
	// connection are read. MIT and Windows clients open a connection per
	// request, and a client's identity repeats in every request anyway:
	// after one exchange the flow costs nothing more.
	MaxMessages int
	// MaxDepth bounds nesting; Kerberos messages need 11 levels.
	MaxDepth int
	// MaxValue caps the realm and host names (DNS names stop at 253).
	MaxValue int
	// MaxEtypes caps the etype list emitted (clients offer under 10).
	MaxEtypes int
}

func defaultConfig() config {
	return config{MaxRecord: 64 << 10, MaxMessages: 1, MaxDepth: 16, MaxValue: 255, MaxEtypes: 32}
}
