// Package static holds what the browser gets besides the HTML: the
// stylesheet now, and room for scripts (the offline outbox, photo downscaling),
// icons and the web app manifest. Everything under assets/ is embedded in the
// binary and addressed by a content hash, so a browser may keep each file for
// a year without ever asking again and still never sees a stale one: a
// changed file has a new URL, and the pages (which are never cached without
// revalidation) name the new one.
//
// # URLs
//
// A file assets/<dir>/<stem>.<ext> is served at
//
//	/static/<dir>/<stem>.<hash>.<ext>      e.g. /static/style.1a2b3c4d.css
//
// where <hash> is the first 8 hex digits of the SHA-256 of its content.
// Templates ask Assets.URL("style.css") for the current URL (the handlers
// package exposes it as {{asset "style.css"}}). Lookup resolves a requested
// path; the handlers answer 404 for an unknown name or a hash that is not the
// current one, and keep that 404 out of caches.
//
// Why 404 and not a redirect to the current URL: while two versions run side
// by side behind one load balancer, each would redirect to its own hash and a
// browser could bounce between them. A stale hash is rare anyway: the pages
// are no-store (the form: no-cache), so a page that names an old hash is one
// a browser kept in its history from before an upgrade, and it then has the
// stylesheet of that page cached too (for a year). What a 404 does cost: in a
// mixed-version moment of a rolling upgrade, a page from a new instance whose
// stylesheet request lands on an old one shows unstyled until reloaded.
//
// # Adding a file
//
// Put it under assets/ (names starting with '.' or '_' are skipped by
// go:embed) and reference it with {{asset "path/name.ext"}}. Its content type
// comes from the table in contentType; add a case for a new kind of file.
//
// # The service worker (later)
//
// A service worker controls only the URLs under the path it is served from,
// so the outbox's worker must be served at /sw.js to control the form at
// /r/… and the status page at /s/…. It will live in assets/sw.js and be
// served by a route of its own at GET /sw.js, not under a hashed URL (nor
// from /static/ with a Service-Worker-Allowed header): browsers look for a
// new worker at the URL they registered, so that URL must stay the same.
// That route sends the file with "Content-Type: text/javascript" and
// "Cache-Control: no-cache" (the browser revalidates it on every update
// check; the ETag makes that cheap). The worker must learn the other files'
// hashed URLs from the server — the route can append a generated list made
// with Assets.URL — so that its bytes change whenever theirs do and browsers
// install the new worker. See the comment at the static routes in
// handlers/server.go.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"strings"
)

// embedded is the files the binary serves. It is read-only.
//
//go:embed assets
var embedded embed.FS

// Prefix is the URL path under which assets are served.
const Prefix = "/static/"

// hashLen is how many hex digits of the SHA-256 a URL carries: 32 bits tell
// the versions of one file apart; they are no integrity check.
const hashLen = 8

// contentType returns the Content-Type a file with extension ext is served
// with. The table is fixed here rather than taken from the operating
// system's MIME tables, which differ between machines (and where they lack
// an entry, a stylesheet would go out as something a nosniff browser
// refuses to apply).
func contentType(ext string) (string, bool) {
	switch ext {
	case ".css":
		return "text/css; charset=utf-8", true
	case ".js", ".mjs":
		return "text/javascript; charset=utf-8", true
	case ".json":
		return "application/json", true
	case ".webmanifest":
		return "application/manifest+json", true
	case ".svg":
		return "image/svg+xml", true
	case ".png":
		return "image/png", true
	case ".ico":
		return "image/x-icon", true
	case ".webp":
		return "image/webp", true
	case ".woff2":
		return "font/woff2", true
	case ".txt":
		return "text/plain; charset=utf-8", true
	}
	return "", false
}

// Asset is one file as it is served.
type Asset struct {
	// Name is its path under assets/, e.g. "style.css" or "icons/app-192.png".
	Name string
	// URL is its current hashed URL path, e.g. "/static/style.1a2b3c4d.css".
	URL string
	// ContentType is its Content-Type header value.
	ContentType string
	// ETag is a strong entity tag over the whole content.
	ETag string
	// Body is its content. Callers must not modify it.
	Body []byte
}

// Assets is a fixed set of files, indexed by name and by URL. It is safe for
// concurrent use (it never changes after New).
type Assets struct {
	byName map[string]*Asset
	byURL  map[string]*Asset
}

// New returns the files embedded in the binary.
func New() (*Assets, error) {
	sub, err := fs.Sub(embedded, "assets")
	if err != nil {
		return nil, fmt.Errorf("static: %w", err)
	}
	return FromFS(sub)
}

// FromFS reads every regular file of fsys (names relative to its root) and
// hashes it. It fails on a file whose extension has no content type, so a
// file that would be served wrongly is found at start-up.
func FromFS(fsys fs.FS) (*Assets, error) {
	a := &Assets{byName: map[string]*Asset{}, byURL: map[string]*Asset{}}
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		ct, ok := contentType(path.Ext(name))
		if !ok {
			return fmt.Errorf("%s: no content type for %q files (add one to contentType)", name, path.Ext(name))
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		full := hex.EncodeToString(sum[:])
		as := &Asset{
			Name:        name,
			URL:         Prefix + hashedName(name, full[:hashLen]),
			ContentType: ct,
			ETag:        `"` + full + `"`,
			Body:        body,
		}
		a.byName[name] = as
		a.byURL[as.URL] = as
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("static: read assets: %w", err)
	}
	return a, nil
}

// hashedName puts hash before the extension of name: "css/app.css" →
// "css/app.<hash>.css"; a name without extension gets it at the end.
func hashedName(name, hash string) string {
	ext := path.Ext(name)
	return strings.TrimSuffix(name, ext) + "." + hash + ext
}

// URL returns the current URL path of the named file ("style.css" →
// "/static/style.1a2b3c4d.css"), or an error if there is no such file: a
// template that names a missing file fails to render instead of sending a
// page with a dead link.
func (a *Assets) URL(name string) (string, error) {
	as, ok := a.byName[name]
	if !ok {
		return "", fmt.Errorf("static: no asset %q", name)
	}
	return as.URL, nil
}

// Lookup returns the file whose current URL is urlPath. It returns false for
// an unknown file and for an earlier (or made-up) hash of a known one.
func (a *Assets) Lookup(urlPath string) (*Asset, bool) {
	as, ok := a.byURL[urlPath]
	return as, ok
}

// All returns every file, in no particular order.
func (a *Assets) All() []*Asset {
	out := make([]*Asset, 0, len(a.byName))
	for _, as := range a.byName {
		out = append(out, as)
	}
	return out
}
