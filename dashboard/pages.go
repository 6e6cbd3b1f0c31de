package dashboard

import (
	"bytes"
	"crypto/subtle"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/floorfeed/floorfeed/auth"
	"github.com/floorfeed/floorfeed/i18n"
	"github.com/floorfeed/floorfeed/plant"
	"github.com/floorfeed/floorfeed/static"
	"github.com/floorfeed/floorfeed/store"
)

//go:embed templates
var templateFS embed.FS

// pageCSP allows this origin only: the stylesheet and the one script are
// files of package static; charts are inline SVG with presentation
// attributes, which are not styles; photos are served by this server.
const pageCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; object-src 'none'; " +
	"base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

type pages struct {
	tmpl *template.Template
	tz   *time.Location
}

func newPages(assets *static.Assets, tz *time.Location) (*pages, error) {
	funcs := template.FuncMap{
		"asset": assets.URL,
		"tr":    tr,
		"status": func(lang string, s store.Status) string {
			return i18n.Status(langOf(lang), s)
		},
		"severity": func(lang string, s store.Severity) string {
			return i18n.Severity(langOf(lang), s)
		},
		"role":   func(lang string, r store.Role) string { return i18n.Role(langOf(lang), r) },
		"action": func(lang, a string) string { return i18n.Action(langOf(lang), a) },
		"when":   func(t time.Time) string { return t.In(tz).Format("2006-01-02 15:04") },
		"day":    func(t time.Time) string { return t.In(tz).Format("01-02") },
		"iso":    func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"name":   func(lang string, n plant.Name) string { return n.In(lang) },
		"num":    formatInt,
		"inc":    func(i int) int { return i + 1 },
		// dict2 is the argument of the "sev" template: a language and a severity.
		"dict2": func(lang string, s store.Severity) map[string]any { return map[string]any{"Lang": lang, "S": s} },
	}
	t, err := template.New("dash").Funcs(funcs).ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("parse templates: %w", err)
	}
	return &pages{tmpl: t, tz: tz}, nil
}

func langOf(code string) i18n.Lang {
	l, _ := i18n.Parse(code)
	return l
}

// base is what the layout of every page needs.
type base struct {
	Lang, Alt string
	Title     string
	Nav       string // the active section
	User      string
	Role      auth.Role
	CanTriage bool
	IsAdmin   bool
	CSRFField string
	CSRF      string
	SwitchURL string
	Plant     *plant.Plant
	Flash     string
	Error     string
}

// The language preference cookie (set by ?lang=).
const langCookie = "ff_lang"

// page wraps a page handler: it requires a principal that may read, sets
// the page headers, and answers errors as a page.
func (d *Dashboard) page(h func(c echo.Context, b base) error) echo.HandlerFunc {
	return func(c echo.Context) error {
		hd := c.Response().Header()
		hd.Set("Cache-Control", "no-store")
		if hd.Get("Content-Security-Policy") == "" {
			hd.Set("Content-Security-Policy", pageCSP)
		}
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		lang := d.lang(c)
		p, ok := auth.PrincipalFrom(c.Request().Context())
		if !ok || !p.CanRead() {
			return d.errorPage(c, base{Lang: lang.String(), Alt: lang.Other().String()}, http.StatusUnauthorized, "err.signin")
		}
		b := base{
			Lang: lang.String(), Alt: lang.Other().String(),
			User: p.Name, Role: p.Role, CanTriage: p.CanTriage(), IsAdmin: p.IsAdmin(),
			CSRFField: auth.CSRFField, CSRF: auth.CSRFTokenFrom(c.Request().Context()),
			SwitchURL: switchURL(c.Request().URL, lang.Other()),
		}
		pl, _, err := d.d.Plant.Current(c.Request().Context())
		if err != nil {
			d.d.Log.Error("dashboard: plant", "err", err)
			return d.errorPage(c, b, http.StatusServiceUnavailable, "err.unavailable")
		}
		b.Plant = pl
		if c.Request().Method == http.MethodPost && !d.csrfOK(c, b.CSRF) {
			return d.errorPage(c, b, http.StatusForbidden, "err.csrf")
		}
		return h(c, b)
	}
}

// csrfOK checks a form's token against the session's. The session
// middleware checks it too; this keeps the pages safe if mounted without.
func (d *Dashboard) csrfOK(c echo.Context, want string) bool {
	got := c.FormValue(auth.CSRFField)
	if got == "" {
		got = c.Request().Header.Get(auth.CSRFHeader)
	}
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// lang is the page's language: ?lang= (remembered in a cookie), the
// cookie, else Accept-Language.
func (d *Dashboard) lang(c echo.Context) i18n.Lang {
	if v := c.QueryParam("lang"); v != "" {
		if l, ok := i18n.Parse(v); ok {
			c.SetCookie(&http.Cookie{Name: langCookie, Value: l.String(), Path: "/", MaxAge: 365 * 24 * 3600, HttpOnly: true, SameSite: http.SameSiteLaxMode})
			return l
		}
	}
	if ck, err := c.Cookie(langCookie); err == nil {
		if l, ok := i18n.Parse(ck.Value); ok {
			return l
		}
	}
	return i18n.Negotiate("", c.Request().Header.Get("Accept-Language"))
}

func switchURL(u *url.URL, to i18n.Lang) string {
	q := u.Query()
	q.Set("lang", to.String())
	q.Del("cursor")
	return u.Path + "?" + q.Encode()
}

// render executes a page into a buffer, so a template error is a clean 500.
func (d *Dashboard) render(c echo.Context, status int, name string, data any) error {
	var buf bytes.Buffer
	if err := d.pages.tmpl.ExecuteTemplate(&buf, name, data); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	return c.HTMLBlob(status, buf.Bytes())
}

type errorView struct {
	base
	Status  int
	Message string
}

func (d *Dashboard) errorPage(c echo.Context, b base, status int, key string) error {
	b.Title = tr(b.Lang, "err.title")
	return d.render(c, status, "error.html", errorView{base: b, Status: status, Message: tr(b.Lang, key)})
}

// storeError answers a failed store call as a page.
func (d *Dashboard) storeError(c echo.Context, b base, what string, err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return d.errorPage(c, b, http.StatusNotFound, "err.not_found")
	}
	d.d.Log.Error("dashboard: "+what, "err", err)
	return d.errorPage(c, b, http.StatusServiceUnavailable, "err.unavailable")
}

// principal returns the request's principal (page has checked it exists).
func principal(c echo.Context) auth.Principal {
	p, _ := auth.PrincipalFrom(c.Request().Context())
	return p
}

// formatInt writes n with thousands separators.
func formatInt(n int) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + formatInt(-n)
	}
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// names of the plant's things in a language, for templates.
func lineName(p *plant.Plant, lang, id string) string {
	if l, ok := p.Line(id); ok {
		return l.Name.In(lang)
	}
	return id
}

func categoryName(p *plant.Plant, lang, id string) string {
	if c, ok := p.Category(id); ok {
		return c.Name.In(lang)
	}
	return id
}

func teamName(p *plant.Plant, lang, id string) string {
	if id == "" {
		return tr(lang, "team.none")
	}
	if t, ok := p.Team(id); ok {
		return t.Name.In(lang)
	}
	return id
}
