package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/floorfeed/floorfeed/handlers"
	"github.com/floorfeed/floorfeed/i18n"
)

// setupQR is `floorfeed qr -o sheet.pdf [--lang zh|en]`: the A4 sheet of QR
// stickers, one per line and per station. It asks the installation's own
// API (GET /api/v1/qr-sheet.pdf as the local administrator), so while a
// server runs the codes carry its base URL and secret, and it reads only:
// where there is no store it says so and creates nothing.
func setupQR(fs *flag.FlagSet) action {
	out := fs.String("o", "qr-sheet.pdf", "output PDF file (- for standard output)")
	lang := fs.String("lang", "zh", "language printed first: zh or en (the other follows)")
	return func(ctx context.Context, x *invocation) error {
		l, ok := i18n.Parse(*lang)
		if !ok || (l.String() != strings.ToLower(strings.TrimSpace(*lang))) {
			return &usageError{msg: fmt.Sprintf("qr: --lang %q: want zh or en", *lang), path: "qr"}
		}
		if *out == "" {
			return &usageError{msg: "qr: -o needs a file name (or - for standard output)", path: "qr"}
		}
		return withAdminAPI(ctx, x, accessReadOnly, func(api *adminAPI) error {
			var lines []handlers.AdminLine
			if err := api.call(ctx, http.MethodGet, "/api/v1/admin/lines", nil, &lines); err != nil {
				return fmt.Errorf("qr: %w", err)
			}
			if api.server && x.set["base-url"] && len(lines) > 0 && !strings.HasPrefix(lines[0].FormURL, x.cfg.BaseURL+"/") {
				fmt.Fprintf(x.stderr, "note: --base-url %s ignored: the running server's base URL is in the codes\n", x.cfg.BaseURL)
			}
			pdf, err := api.fetch(ctx, "/api/v1/qr-sheet.pdf?"+url.Values{"lang": {l.String()}}.Encode())
			if err != nil {
				return fmt.Errorf("qr: %w", err)
			}
			stations := 0
			for _, ln := range lines {
				stations += len(ln.Stations)
			}
			if err := writeOutput(x.stdout, *out, pdf); err != nil {
				return fmt.Errorf("qr: %w", err)
			}
			if *out != "-" {
				fmt.Fprintf(x.stdout, "wrote %s: %d codes (%d lines, %d stations)\n", *out, len(lines)+stations, len(lines), stations)
			}
			return nil
		})
	}
}

// fetch GETs path from the API and returns the body of a 2xx answer; an
// error answer is an *apiError, as call returns.
func (a *adminAPI) fetch(ctx context.Context, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://floorfeed"+path, nil)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	res, err := a.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s through %s: %w", path, a.via, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 256<<20))
	if err != nil {
		return nil, fmt.Errorf("GET %s through %s: read answer: %w", path, a.via, err)
	}
	if res.StatusCode >= 300 {
		ae := &apiError{Status: res.StatusCode}
		var eb struct {
			Error *apiError `json:"error"`
		}
		if json.Unmarshal(b, &eb) == nil && eb.Error != nil {
			ae.Code, ae.Message, ae.Fields = eb.Error.Code, eb.Error.Message, eb.Error.Fields
		}
		return nil, ae
	}
	return b, nil
}

// writeOutput writes b to the file name ("-": stdout) through a temporary
// file renamed into place, so a failed run leaves no half-written PDF.
func writeOutput(stdout io.Writer, name string, b []byte) error {
	if name == "-" {
		_, err := io.Copy(stdout, bytes.NewReader(b))
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after the rename there is nothing to remove
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), name)
}
