package handlers

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/floorfeed/floorfeed/i18n"
	"github.com/floorfeed/floorfeed/photo"
	"github.com/floorfeed/floorfeed/store"
	"github.com/floorfeed/floorfeed/votes"
)

// "Already reported here": the open reports of a line, each with its "me
// too" count, and the vote. Both are public; the line's QR token is the
// credential (a phone that can open the form may see and confirm what was
// reported there). The phone identifies itself with a random device id:
// the X-Device-Id header or the device_id field (the form's script keeps
// one), else the ff_device cookie that the form page sets (the no-JS form).

// Routes.
const (
	routeLineOpen   = "/api/v1/lines/:line/open"
	routeReportVote = "/api/v1/reports/:id/votes"
)

// Limits of the open list.
const (
	openReportsMax = 20
	// openReportsAge: a report open for longer is no longer what people at
	// the line are seeing now.
	openReportsAge = 30 * 24 * time.Hour
	deviceCookie   = "ff_device"
	headerDeviceID = "X-Device-Id"
	// uploadWait bounds how long a submission waits for upload memory
	// before it is answered 503 (its client retries).
	uploadWait = 30 * time.Second
)

// openStatuses are the statuses of a report still being worked on.
var openStatuses = []store.Status{store.StatusNew, store.StatusReceived, store.StatusTriaged, store.StatusInProgress}

// Voter records "me too" votes (implemented by *votes.Service).
type Voter interface {
	// Vote records device's vote and returns the report's count; a repeat
	// returns the same count. Errors: votes.ErrBadDevice, the store's.
	Vote(ctx context.Context, reportID, device string) (int, error)
	// Voted reports whether device has voted for the report.
	Voted(ctx context.Context, reportID, device string) (bool, error)
}

// VoteStore is what the default Voter needs (store.Records and
// UpdateReport; both stores have them).
type VoteStore = votes.Store

// voteService is the votes this server records (nil: routes answer 404).
type voteService struct{ Voter }

// setupMobile builds the photo, upload and vote parts of the server.
func (s *Server) setupMobile(d Deps) {
	s.photos = d.Photos
	mem := s.cfg.UploadMemory
	if mem <= 0 {
		mem = DefaultUploadMemory
	}
	s.uploadBudget = photo.NewBudget(mem)
	if d.Votes != nil {
		s.votes = &voteService{votes.New(d.Votes, s.now)}
	}
}

// registerVoteRoutes adds the open list and the vote to the public API.
func (s *Server) registerVoteRoutes(g routeGroup) {
	g.GET(routeLineOpen, s.handleLineOpen)
	g.POST(routeReportVote, s.handleVote)
}

// openReport is one entry of the open list.
type openReport struct {
	ID        string       `json:"id"`
	Code      string       `json:"code"`
	Title     string       `json:"title"`
	Status    store.Status `json:"status"`
	CreatedAt time.Time    `json:"created_at"`
	Votes     int          `json:"votes"`
	Voted     bool         `json:"voted"`
}

// handleLineOpen serves GET /api/v1/lines/{line}/open?t={token}.
func (s *Server) handleLineOpen(c echo.Context) error {
	if s.votes == nil {
		return errNotFound()
	}
	line, ok := s.plant.Line(c.Param("line"))
	if !ok {
		return errNotFound()
	}
	if !s.signer.CheckLineToken(line.ID, c.QueryParam("t")) {
		return errBadToken()
	}
	list, err := s.openReports(c.Request().Context(), line.ID, deviceOf(c, ""))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string][]openReport{"reports": list})
}

// openReports returns the newest open reports of line (at most
// openReportsMax, of the last openReportsAge), with device's votes.
func (s *Server) openReports(ctx context.Context, line, device string) ([]openReport, error) {
	ctx, cancel := context.WithTimeout(ctx, storeReadTimeout)
	defer cancel()
	from := s.now().Add(-openReportsAge)
	var all []store.Report
	for _, st := range openStatuses {
		p, err := s.reports.FindReports(ctx, store.Filter{Line: line, Status: st, From: from, Limit: openReportsMax})
		if err != nil {
			return nil, storeReadError(err)
		}
		all = append(all, p.Reports...)
	}
	slices.SortFunc(all, func(a, b store.Report) int { return strings.Compare(b.ID, a.ID) })
	all = all[:min(len(all), openReportsMax)]
	out := make([]openReport, 0, len(all))
	for _, r := range all {
		o := openReport{ID: r.ID, Code: r.Code, Title: r.Title, Status: r.Status, CreatedAt: r.CreatedAt, Votes: r.Votes}
		if device != "" {
			voted, err := s.votes.Voted(ctx, r.ID, device)
			if err != nil {
				return nil, storeReadError(err)
			}
			o.Voted = voted
		}
		out = append(out, o)
	}
	return out, nil
}

// voteRequest is the body of a vote (JSON, or form fields of these names).
type voteRequest struct {
	Token    string `json:"token"`
	DeviceID string `json:"device_id"`
	Lang     string `json:"lang"`
}

// handleVote serves POST /api/v1/reports/{id}/votes: 200 {"votes", "voted"}
// (idempotent per device), 403 for a token not of the report's line, 404
// for an unknown report, 429 when rate limited. A browser's form post (the
// no-JS form) is answered with a redirect back to the form.
func (s *Server) handleVote(c echo.Context) error {
	if s.votes == nil {
		return errNotFound()
	}
	req := c.Request()
	body, err := decodeVote(req)
	if err != nil {
		return err
	}
	setLang(c, body.Lang)
	id := c.Param("id")
	if len(id) > maxReportIDLen {
		return errNotFound()
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(req.Context()), storeReadTimeout)
	defer cancel()
	r, err := s.reports.Report(ctx, id)
	if err != nil {
		return storeReadError(err)
	}
	token := strings.TrimSpace(body.Token)
	if !s.signer.CheckLineToken(r.Line, token) {
		return errBadToken()
	}
	device := deviceOf(c, body.DeviceID)
	if device == "" && isBrowserFormPost(req) {
		device = s.setDeviceCookie(c) // cookies were off until now: this post gets one
	}
	if !votes.ValidDevice(device) {
		return errValidation(map[string]string{"device_id": store.CodeInvalid})
	}
	if s.limiter != nil {
		if ok, wait := s.allowSubmission(ctx, c, "vote|"+rateLimitKey(c.RealIP())); !ok {
			return errRateLimited(wait)
		}
	}
	n, err := s.votes.Vote(ctx, r.ID, device)
	if errors.Is(err, votes.ErrBadDevice) {
		return errValidation(map[string]string{"device_id": store.CodeInvalid})
	}
	if err != nil {
		return storeReadError(err)
	}
	if isBrowserFormPost(req) {
		q := url.Values{"t": {token}}
		if l, ok := i18n.Parse(body.Lang); ok {
			q.Set("lang", l.String())
		}
		return c.Redirect(http.StatusSeeOther, "/r/"+url.PathEscape(r.Line)+"?"+q.Encode()+"#open-reports")
	}
	return c.JSON(http.StatusOK, map[string]any{"votes": n, "voted": true})
}

// decodeVote reads a vote's JSON or form body (bounded by bodyLimit).
func decodeVote(r *http.Request) (voteRequest, error) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType))
	var v voteRequest
	switch mt {
	case echo.MIMEApplicationJSON:
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return v, bodyReadError(err)
		}
		if err := json.Unmarshal(b, &v); err != nil {
			return v, errBadRequest(err, nil)
		}
		return v, nil
	case echo.MIMEApplicationForm, echo.MIMEMultipartForm:
		if err := r.ParseMultipartForm(1 << 20); err != nil && !errors.Is(err, http.ErrNotMultipart) {
			return v, bodyReadError(err)
		}
		return voteRequest{Token: r.FormValue("token"), DeviceID: r.FormValue("device_id"), Lang: r.FormValue("lang")}, nil
	}
	return v, errUnsupported()
}

// deviceOf is the device id of a request: given (the body's), else the
// header, else the cookie; "" if none is valid.
func deviceOf(c echo.Context, given string) string {
	for _, v := range []string{given, c.Request().Header.Get(headerDeviceID)} {
		if v = strings.TrimSpace(v); v != "" {
			if votes.ValidDevice(v) {
				return v
			}
			return ""
		}
	}
	if ck, err := c.Cookie(deviceCookie); err == nil && votes.ValidDevice(ck.Value) {
		return ck.Value
	}
	return ""
}

// setDeviceCookie gives the browser a new device id (HttpOnly: the
// script has its own in storage; this one is for the no-JS form).
func (s *Server) setDeviceCookie(c echo.Context) string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err))
	}
	id := hex.EncodeToString(b[:])
	c.SetCookie(&http.Cookie{
		Name: deviceCookie, Value: id, Path: "/", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: c.Scheme() == "https",
	})
	return id
}

// openView is one open report on the form page.
type openView struct {
	ID, Title, Age, Status string
	Votes                  int
	Voted                  bool
}

// formOpenReports fills the form's list of open reports (and gives the
// browser its device cookie). A store failure leaves the list out: the
// form must open whatever happens.
func (s *Server) formOpenReports(c echo.Context, lang i18n.Lang, line string) []openView {
	if s.votes == nil {
		return nil
	}
	device := deviceOf(c, "")
	if device == "" {
		device = s.setDeviceCookie(c)
	}
	list, err := s.openReports(c.Request().Context(), line, device)
	if err != nil {
		s.log.Warn("open reports for the form", "request_id", requestIDOf(c), "line", line, "err", err)
		return nil
	}
	out := make([]openView, 0, len(list))
	for _, r := range list {
		out = append(out, openView{
			ID: r.ID, Title: r.Title, Age: s.age(lang, r.CreatedAt), Status: i18n.Status(lang, r.Status),
			Votes: r.Votes, Voted: r.Voted,
		})
	}
	return out
}

// age says how long ago t was, roughly, in lang.
func (s *Server) age(lang i18n.Lang, t time.Time) string {
	d := s.now().Sub(t)
	switch {
	case d < time.Hour:
		return s.text.msg(lang, "open.age_min", max(1, int(d.Minutes())))
	case d < 48*time.Hour:
		return s.text.msg(lang, "open.age_hour", int(d.Hours()))
	}
	return s.text.msg(lang, "open.age_day", int(d.Hours()/24))
}

// mobileMessages are this area's messages (photos, votes, the open list).
func mobileMessages() map[string]text {
	m := photoMessages()
	for k, v := range map[string]text{
		"field.device_id": {"设备编号", "Device id"},
		"open.heading":    {"这里已报告的问题", "Already reported here"},
		"open.intro":      {"如果您遇到的是同一个问题，请点“我也遇到了”，不必重复报告。", "If you see the same problem, press “Me too” instead of reporting it again."},
		"open.metoo":      {"我也遇到了", "Me too"},
		"open.voted":      {"已确认", "Confirmed"},
		"open.votes":      {"%d 人确认", "%d confirmed"},
		"open.age_min":    {"%d 分钟前", "%d min ago"},
		"open.age_hour":   {"%d 小时前", "%d h ago"},
		"open.age_day":    {"%d 天前", "%d days ago"},
		"form.photo":      {"照片", "Photos"},
		"form.photo_hint": {"最多 3 张，JPEG 或 PNG，每张最多 10 MB。", "Up to 3, JPEG or PNG, at most 10 MB each."},
	} {
		m[k] = v
	}
	return m
}
