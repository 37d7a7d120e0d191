package astm

// For the external tests (decoder_test.go).

func E1381ForTest(records ...string) []byte { return e1381(240, records...) }

func MessageForTest(h string) []string { return message(h) }

const (
	InstrumentHeaderForTest = instrumentHeader
	LISHeaderForTest        = lisHeader
)
