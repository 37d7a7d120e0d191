package http

import (
	"testing"

	"github.com/wardiomt/ward/internal/observe"
)

// BenchmarkExchange is one connection per iteration between the same two
// devices, as a sensor sees a device polled over and over: one dissector,
// a new stream, a request and its response.
func BenchmarkExchange(b *testing.B) {
	req := []byte("GET /api/v1/status?id=17 HTTP/1.1\r\nHost: infusion-gw.local:8080\r\nUser-Agent: Alaris-PC/9.19.2 (Linux)\r\n" +
		"Accept: application/json\r\nAuthorization: Basic dXNlcjpwYXNz\r\nConnection: keep-alive\r\n\r\n")
	resp := []byte("HTTP/1.1 200 OK\r\nServer: lighttpd/1.4.35\r\nX-Powered-By: PHP/5.6.40\r\nContent-Type: application/json\r\n" +
		"Content-Length: 17\r\n\r\n{\"status\":\"ok\"}\r\n")
	e := observe.EmitterFunc(func(*observe.Observation) {})
	mc, ms := meta(), meta()
	ms.SrcPort, ms.DstPort = ms.DstPort, ms.SrcPort
	d := New()
	b.ReportAllocs()
	for b.Loop() {
		s := d.NewStream()
		s.Data(mc, true, req, e)
		s.Data(ms, false, resp, e)
	}
}
