package handlers

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/floorfeed/floorfeed/i18n"

	"github.com/floorfeed/floorfeed/static"
)

// templateFS holds the page templates.
//
//go:embed templates
var templateFS embed.FS

// pages renders the HTML pages. Their one stylesheet is an external file
// from package static under a content-hashed URL (cached for a year, so a
// phone fetches it once per version), which lets the CSP allow styles from
// 'self' only: no inline style, no hash to keep in step, no script.
type pages struct {
	tmpl *template.Template
}

// pageCSP is the Content-Security-Policy of every HTML page: everything from
// this origin only, no plugins, no framing, forms post only here.
const pageCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; object-src 'none'; " +
	"base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

func newPages(cat catalog, tz *time.Location, assets *static.Assets) (*pages, error) {
	p := &pages{}
	funcs := template.FuncMap{
		// asset is the current URL of a file of package static; naming a
		// file that does not exist fails the render.
		"asset": assets.URL,
		"tr":    cat.t,
		"when": func(t time.Time) string {
			return t.In(tz).Format("2006-01-02 15:04")
		},
		"iso": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		// sevhint explains a severity that needs it ("critical"), in lang.
		"sevhint": func(lang, sev string) string { l, _ := i18n.Parse(lang); return i18n.SeverityHint(l, sev) },
	}
	var err error
	p.tmpl, err = template.New("pages").Funcs(funcs).ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("parse templates: %w", err)
	}
	return p, nil
}

// pageBase is what every page's layout needs.
type pageBase struct {
	Lang string // the page's first language
	Alt  string // its second language, shown smaller under the first
	// Title is the document title, already in Lang.
	Title string
}

func newPageBase(lang, title string) pageBase {
	return pageBase{Lang: lang, Alt: otherLang(lang), Title: title}
}

// render executes a page into a buffer first, so a template error becomes
// a clean 500 instead of half a page.
func (s *Server) render(c echo.Context, status int, name string, data any) error {
	var buf bytes.Buffer
	if err := s.pages.tmpl.ExecuteTemplate(&buf, name, data); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	return c.HTMLBlob(status, buf.Bytes())
}

// errorView is the error page.
type errorView struct {
	pageBase
	Status    int
	Message   string
	Fields    []string
	FormPost  bool // the error answers a form post: point back to the form
	RequestID string
}

// renderErrorPage answers an error with an HTML page.
func (s *Server) renderErrorPage(c echo.Context, status int, lang string, d errorDetail) error {
	v := errorView{
		pageBase:  newPageBase(lang, s.text.t(lang, "page.error")),
		Status:    status,
		Message:   d.Message,
		FormPost:  c.Request().Method == http.MethodPost,
		RequestID: requestIDOf(c),
	}
	for _, f := range sortedKeys(d.Fields) {
		v.Fields = append(v.Fields, d.Fields[f])
	}
	var buf bytes.Buffer
	if err := s.pages.tmpl.ExecuteTemplate(&buf, "error.html", v); err != nil {
		// The error page itself failed: fall back to plain text.
		return c.String(status, d.Message)
	}
	return c.HTMLBlob(status, buf.Bytes())
}

// sortedKeys returns m's keys in order, for stable pages.
func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
