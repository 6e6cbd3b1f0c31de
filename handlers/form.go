package handlers

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/floorfeed/floorfeed/i18n"
	"github.com/floorfeed/floorfeed/intake"
	"github.com/floorfeed/floorfeed/plant"
	"github.com/floorfeed/floorfeed/store"
)

// option is one choice in a select or radio group.
type option struct {
	Value    string
	Label    string // in the page's first language
	AltLabel string // in its second
	Selected bool
}

// formView is the report form page.
type formView struct {
	pageBase
	PlantName   string
	LineID      string
	LineName    string
	LineNameAlt string
	Token       string
	// Key is the hidden idempotency key: fresh for a new form, kept when the
	// form comes back with errors so a retry cannot create a duplicate.
	Key        string
	Action     string
	SwitchURL  string
	SwitchLang string
	Categories []option
	Severities []option
	Stations   []option
	Roles      []option
	Values     intake.Input
	// Errors maps a field to its message; ErrorList is the same, in order.
	Errors    map[string]string
	ErrorList []string
	Message   string
	// Dict is every label in both languages, for the script's language
	// switch (i18n_mobile.go).
	Dict string
}

// handleForm serves GET /r/{line}?t={token}[&s={station}]: the mobile report form. It is
// plain HTML that posts form-encoded (multipart) to /api/v1/reports and
// works without JavaScript.
func (s *Server) handleForm(c echo.Context) error {
	line, ok := s.plant.Line(c.Param("line"))
	if !ok {
		return errNotFound()
	}
	token := c.QueryParam("t")
	if !s.signer.CheckLineToken(line.ID, token) {
		return errBadToken()
	}
	s.rememberLang(c, c.QueryParam("lang"))
	lang := s.langOf(c)
	// The page carries its idempotency key. It must come back from the
	// browser's history on Back (after a post whose answer was lost on bad
	// Wi-Fi) with the same key, or a second send would make a second report:
	// so unlike every other page it may be kept, privately.
	c.Response().Header().Set(echo.HeaderCacheControl, "private, no-cache")
	v := s.newFormView(lang, line, token, uuid.NewString(), intake.Input{Station: stationParam(line, c.QueryParam("s"))}, nil, "")
	return s.render(c, http.StatusOK, "form.html", v)
}

// newFormView builds the form for line with the reporter's values in (empty
// for a new form) and, after a failed post, the problems to show.
func (s *Server) newFormView(lang i18n.Lang, line plant.Line, token, key string, in intake.Input, fieldErrs map[string]string, message string) formView {
	alt := lang.Other()
	l, a := lang.String(), alt.String() // plant names and page templates take codes
	v := formView{
		pageBase:    newPageBase(l, s.text.msg(lang, "form.heading")+" · "+line.Name.In(l)),
		PlantName:   s.plant.Name.In(l),
		LineID:      line.ID,
		LineName:    line.Name.In(l),
		LineNameAlt: line.Name.In(a),
		Token:       token,
		Key:         key,
		Action:      routeReports,
		SwitchLang:  a,
		SwitchURL:   "/r/" + url.PathEscape(line.ID) + "?" + switchQuery(line, token, a, in.Station),
		Values:      in,
		Errors:      map[string]string{},
		Message:     message,
	}
	if v.LineNameAlt == v.LineName {
		v.LineNameAlt = ""
	}
	v.Dict = s.pageDict(s.formTitle(line))
	v.Values.Lang = l

	category := strings.ToLower(strings.TrimSpace(in.Category))
	for _, cat := range s.plant.Categories {
		v.Categories = append(v.Categories, option{
			Value: cat.ID, Label: cat.Name.In(l), AltLabel: cat.Name.In(a), Selected: cat.ID == category,
		})
	}
	severity := strings.ToLower(strings.TrimSpace(in.Severity))
	if severity == "" {
		severity = string(intake.DefaultSeverity)
	}
	for _, sev := range store.Severities {
		v.Severities = append(v.Severities, option{
			Value: string(sev), Label: i18n.Severity(lang, sev),
			AltLabel: i18n.Severity(alt, sev), Selected: string(sev) == severity,
		})
	}
	station := strings.TrimSpace(in.Station)
	for _, st := range line.Stations {
		v.Stations = append(v.Stations, option{Value: st, Label: st, Selected: st == station})
	}
	role := strings.ToLower(strings.TrimSpace(in.Role))
	for _, r := range store.Roles {
		v.Roles = append(v.Roles, option{
			Value: string(r), Label: i18n.Role(lang, r),
			AltLabel: i18n.Role(alt, r), Selected: string(r) == role,
		})
	}
	for _, f := range sortedKeys(fieldErrs) {
		msg := s.text.fieldMessage(lang, f, fieldErrs[f])
		v.Errors[f] = msg
		v.ErrorList = append(v.ErrorList, msg)
	}
	return v
}

// renderFormAgain answers a failed browser form post with the form itself,
// filled in as sent, the problems marked and the same idempotency key — for
// errors the reporter can fix or retry (validation, store unavailable).
// When the key was already used for other content (the reporter went Back
// after sending, changed the text and sent again), the form comes back with
// a new key and a note saying so: sending it again makes a second report,
// which is then the reporter's informed choice.
// It reports false when the form cannot be shown (unknown line, bad token,
// other errors) and the caller should answer with an error page.
func (s *Server) renderFormAgain(c echo.Context, in intake.Input, key string, err error) (bool, error) {
	ae := toAPIError(err)
	switch ae.code {
	case codeValidation, codeUnavailable:
	case codeIdempotencyMismatch:
		key = "" // a fresh one below
	default:
		return false, nil
	}
	if _, bad := ae.fields["line"]; bad {
		return false, nil
	}
	line, ok := s.plant.Line(strings.ToLower(strings.TrimSpace(in.Line)))
	if !ok || !s.signer.CheckLineToken(line.ID, strings.TrimSpace(in.Token)) {
		return false, nil
	}
	if key == "" {
		key = uuid.NewString()
	}
	s.noteFailure(c, ae, err)
	if ae.retryAfter > 0 {
		c.Response().Header().Set(echo.HeaderRetryAfter, strconv.Itoa(retrySeconds(ae.retryAfter)))
	}
	lang := s.langOf(c)
	msg := s.errorMessage(c, lang, ae)
	if ae.code == codeIdempotencyMismatch {
		msg = s.text.msg(lang, "form.already_sent")
	}
	v := s.newFormView(lang, line, strings.TrimSpace(in.Token), key, in, ae.fields, msg)
	return true, s.render(c, ae.status, "form.html", v)
}
