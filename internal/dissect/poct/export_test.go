package poct

// For the external tests (decoder_test.go).

const (
	GlucoseHelloForTest  = glucoseHello
	BloodGasHelloForTest = bloodGasHello
	ObsForTest           = obs
	DstForTest           = dst
	OplForTest           = opl
	EotForTest           = eot
)

func AckForTest(ctrl string) string { return ack(ctrl) }
