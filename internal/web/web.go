// Package web serves Ward's browser UI: static HTML, CSS and JavaScript
// modules embedded in the binary. The pages fetch everything from the
// /api/v1 JSON API; nothing is rendered on the server, so this package
// depends on no other Ward package and holds no data.
package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed static
var static embed.FS

// routes lists the client-side routes: paths the browser may load directly
// (bookmarks, reloads) that are answered with the application shell.
// "/devices/" also covers "/devices/{id}".
var routes = []string{"/", "/dashboard", "/devices", "/devices/", "/findings", "/plan", "/sites", "/feeds", "/alerts", "/cmms", "/assess"}

// csp allows only same-origin resources: the UI loads nothing from
// elsewhere, and data from the network (device names) can never pull in a
// script even if some rendering bug put it into markup.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

type asset struct {
	body  []byte
	gz    []byte // gzip of body, nil when that does not make it smaller
	ctype string
	etag  string
}

type handler struct {
	assets map[string]asset // by URL path ("/assets/app.js", "/index.html", "/login.html")
}

// Handler returns the UI handler, to be mounted at "/" after the API
// routes. It serves /assets/* with their content types, /login as the
// login form (the server handles POST /login), and the application shell
// for every client-side route. Unknown paths are 404.
func Handler() http.Handler {
	h := &handler{assets: map[string]asset{}}
	err := fs.WalkDir(static, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := static.ReadFile(p)
		if err != nil {
			return err
		}
		ct := mime.TypeByExtension(path.Ext(p))
		if ct == "" {
			ct = http.DetectContentType(b)
		}
		sum := sha256.Sum256(b)
		a := asset{body: b, ctype: ct, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
		// Compressed once here: sites reach the server over slow WAN links.
		var z bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&z, gzip.BestCompression)
		if _, err := zw.Write(b); err != nil {
			return err
		}
		if err := zw.Close(); err != nil {
			return err
		}
		if z.Len() < len(b) {
			a.gz = z.Bytes()
		}
		h.assets[strings.TrimPrefix(p, "static")] = a
		return nil
	})
	if err != nil {
		// The files are compiled in: failing to read them is a build defect.
		panic(fmt.Sprintf("web: reading embedded assets: %v", err))
	}
	return h
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	// The escaped path keeps an encoded "/" inside a device id in one segment.
	p := path.Clean("/" + r.URL.EscapedPath())
	name := ""
	switch {
	case strings.HasPrefix(p, "/assets/"):
		name = p
	case p == "/login":
		name = "/login.html"
	case p == "/favicon.ico":
		name = "/assets/favicon.svg"
	case isRoute(p):
		name = "/index.html"
	}
	a, ok := h.assets[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", a.ctype)
	hd.Set("Content-Security-Policy", csp)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("X-Frame-Options", "DENY")
	// Revalidate every time: the assets change with the binary, and the
	// ETag makes a revalidation cheap.
	hd.Set("Cache-Control", "no-cache")
	body, etag := a.body, a.etag
	if a.gz != nil {
		hd.Set("Vary", "Accept-Encoding")
		if acceptsGzip(r) {
			hd.Set("Content-Encoding", "gzip")
			body, etag = a.gz, strings.TrimSuffix(a.etag, `"`)+`-gz"`
		}
	}
	hd.Set("ETag", etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") {
			return strings.ReplaceAll(strings.TrimSpace(params), " ", "") != "q=0"
		}
	}
	return false
}

func isRoute(p string) bool {
	for _, rt := range routes {
		if p == rt || (strings.HasSuffix(rt, "/") && rt != "/" && strings.HasPrefix(p, rt) && !strings.Contains(p[len(rt):], "/")) {
			return true
		}
	}
	return false
}
