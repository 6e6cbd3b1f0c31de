package handlers

import (
	"bytes"
	"testing"
	"testing/fstest"

	"github.com/floorfeed/floorfeed/static"
)

// TestServiceWorkerVersion: /sw.js names the release's files and changes,
// version and bytes, when any asset changes, so browsers install the new
// worker and it replaces the cached shell.
func TestServiceWorkerVersion(t *testing.T) {
	build := func(css string) (*serviceWorker, *static.Assets) {
		t.Helper()
		a, err := static.FromFS(fstest.MapFS{
			"style.css": {Data: []byte(css)},
			"app.js":    {Data: []byte("console.log(1)")},
			"sw.js":     {Data: []byte("self.x = VERSION;")},
		})
		if err != nil {
			t.Fatal(err)
		}
		sw, err := newServiceWorker(a)
		if err != nil {
			t.Fatal(err)
		}
		return sw, a
	}
	one, a := build("body{}")
	two, _ := build("body{color:red}")
	if one.version == two.version || bytes.Equal(one.body, two.body) || one.etag == two.etag {
		t.Errorf("a changed stylesheet left the worker's version %q (was %q) or bytes the same", two.version, one.version)
	}
	for _, name := range shellAssets {
		u, _ := a.URL(name)
		if !bytes.Contains(one.body, []byte(`"`+u+`"`)) {
			t.Errorf("/sw.js does not list %s (%s) in its shell:\n%s", name, u, one.body)
		}
	}
	if !bytes.HasSuffix(one.body, []byte("self.x = VERSION;")) || !bytes.Contains(one.body, []byte(`const VERSION = "`+one.version+`"`)) {
		t.Errorf("/sw.js = %s, want the generated head then assets/sw.js", one.body)
	}
	again, _ := build("body{}")
	if again.version != one.version {
		t.Errorf("the same assets gave versions %q and %q", one.version, again.version)
	}
}
