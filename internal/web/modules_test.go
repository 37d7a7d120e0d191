package web

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/google/go-cmp/cmp"
)

// TestBrowserModules runs the UI's pure helpers in the browser on the
// shapes the API may send: the plan curve from the server's steps or from
// the actions alone, identity rows from the full record or the summary,
// and URL sanitizing of advisory links.
func TestBrowserModules(t *testing.T) {
	srv, _ := newStubServer(t, false)
	b := newBrowser(t)
	// Any page of the UI gives the module's origin; the login form needs no session.
	b.do("open", chromedp.Navigate(srv.URL+"/login"))
	tests := []struct {
		name, expr string
		want       any
	}{
		{"curve from steps", `m.curveOf({total_risk: 200, steps: [{rank: 1, cumulative_percent: 40}, {rank: 2, cumulative_removed: 150}]}, [])`,
			[]any{map[string]any{"n": 1.0, "share": 0.4}, map[string]any{"n": 2.0, "share": 0.75}}},
		{"curve from actions", `m.curveOf({}, [{risk_removed: 30}, {risk_reduction: 10}, {title: 'no figure'}])`,
			[]any{map[string]any{"n": 1.0, "share": 0.75}, map[string]any{"n": 2.0, "share": 1.0}, map[string]any{"n": 3.0, "share": 1.0}}},
		{"curve without figures", `m.curveOf({}, [{title: 'a'}])`, []any{}},
		{"snippet object", `m.snippetOf({acl: {cisco_ios: 'permit x', iptables: '-A y'}})`, "# cisco ios\npermit x\n# iptables\n-A y"},
		{"action title fallbacks", `[m.actionTitle({summary: 's'}), m.actionTitle({kind: 'segment', target: 'vlan 7'}), m.actionTitle({id: 'x'})]`, []any{"s", "segment vlan 7", "x"}},
	}
	dom := []struct {
		name, expr string
		want       any
	}{
		{"safe URLs", `[d.safeURL('javascript:alert(1)'), d.safeURL('//evil.example/x'), d.safeURL('/devices/a'), d.safeURL('HTTPS:x'), d.safeURL('data:text/html,x')]`,
			[]any{"#", "#", "/devices/a", "HTTPS:x", "#"}},
		{"h refuses string handlers", `(() => { try { d.h('a', {onclick: 'alert(1)'}); return 'built'; } catch (e) { return e.name; } })()`, "TypeError"},
		{"h makes text of markup", `d.h('p', {}, '<b>x</b>').innerHTML`, "&lt;b&gt;x&lt;/b&gt;"},
		{"device name order", `[d.deviceName({hostname: 'h', model: 'm'}), d.deviceName({manufacturer: 'GE', model: 'M'}), d.deviceName({ips: [{ip: '10.0.0.1'}]}), d.deviceName({id: 'd1'})]`,
			[]any{"h", "GE M", "10.0.0.1", "d1"}},
	}
	dev := []struct {
		name, expr string
		want       any
	}{
		{"identity from the full record", `v.identityRows({identity: {model: {value: 'Vida', confidence: 0.9, candidates: [{value: 'vida ', evidence: [{rule: 'r'}]}, {value: 'Sola', evidence: []}]}}}).map(r => [r.attr, r.value, r.evidence.length, r.others.length])`,
			[]any{[]any{"model", "Vida", 1.0, 1.0}}},
		{"identity from the summary", `v.identityRows({manufacturer: 'GE', model: null, confidence: {manufacturer: 0.7}, evidence: {manufacturer: [{rule: 'oui'}]}}).map(r => [r.attr, r.value, r.confidence ?? null, r.evidence.length])`,
			[]any{[]any{"manufacturer", "GE", 0.7, 1.0}, []any{"model", "", nil, 0.0}}},
	}
	run := func(module, alias string, cases []struct {
		name, expr string
		want       any
	}) {
		for _, tc := range cases {
			js := fmt.Sprintf(`import(%q).then(%s => JSON.stringify(%s))`, module, alias, tc.expr)
			out, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
				continue
			}
			var got any
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Errorf("%s: %v (%s)", tc.name, err, out)
				continue
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tc.name, diff)
			}
		}
	}
	run("/assets/views/plan.js", "m", tests)
	run("/assets/dom.js", "d", dom)
	run("/assets/views/device.js", "v", dev)
}
