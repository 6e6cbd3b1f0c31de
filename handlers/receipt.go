package handlers

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/floorfeed/floorfeed/store"
)

// maxReceiptLen bounds a receipt from a URL before it reaches the store
// (real ones are 22 characters).
const maxReceiptLen = 64

// receiptView is the reporter's view of their report (GET
// /api/v1/receipts/{receipt}): what they may see, never internal notes, nor
// who at R&D did what, nor anyone's contact details.
type receiptView struct {
	Code      string        `json:"code"`
	Line      string        `json:"line"`
	Title     string        `json:"title"`
	Status    store.Status  `json:"status"`
	CreatedAt time.Time     `json:"created_at"`
	UpdatedAt time.Time     `json:"updated_at"`
	History   []publicEvent `json:"history"`
	Reply     string        `json:"reply"`
}

// publicEvent is a history entry as the reporter sees it.
type publicEvent struct {
	At     time.Time `json:"at"`
	By     string    `json:"by"` // "reporter", "system" or "R&D"
	Action string    `json:"action"`
	From   string    `json:"from,omitempty"`
	To     string    `json:"to,omitempty"`
	Text   string    `json:"text,omitempty"`
}

// publicBy hides the names of R&D staff and API tokens from the reporter.
func publicBy(by string) string {
	switch by {
	case "reporter", "system":
		return by
	}
	return "R&D"
}

func newReceiptView(r store.Report) receiptView {
	v := receiptView{
		Code: r.Code, Line: r.Line, Title: r.Title, Status: r.Status,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, Reply: r.Reply,
		History: []publicEvent{},
	}
	for _, ev := range r.History {
		if ev.Internal || ev.Action == store.ActionNote {
			continue
		}
		v.History = append(v.History, publicEvent{
			At: ev.At, By: publicBy(ev.By), Action: ev.Action, From: ev.From, To: ev.To, Text: ev.Text,
		})
	}
	return v
}

// reportByReceipt looks a receipt up, answering 404 for anything that
// cannot be one.
func (s *Server) reportByReceipt(ctx context.Context, receipt string) (store.Report, error) {
	if receipt == "" || len(receipt) > maxReceiptLen {
		return store.Report{}, errNotFound()
	}
	ctx, cancel := context.WithTimeout(ctx, storeReadTimeout)
	defer cancel()
	r, err := s.reports.ReportByReceipt(ctx, receipt)
	if err != nil {
		return store.Report{}, storeReadError(err)
	}
	return r, nil
}

// handleReceipt serves GET /api/v1/receipts/{receipt}.
func (s *Server) handleReceipt(c echo.Context) error {
	r, err := s.reportByReceipt(c.Request().Context(), c.Param("receipt"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, newReceiptView(r))
}

// statusView is the reporter's status page.
type statusView struct {
	pageBase
	SwitchURL   string
	Code        string
	ReportTitle string
	Status      string
	StatusAlt   string
	LineName    string
	LineNameAlt string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	Reply       string
	History     []statusEvent
	Link        string // absolute URL of this page, when BaseURL is set
}

// statusEvent is one history line on the status page, in the page's language.
type statusEvent struct {
	At        time.Time
	Action    string
	ActionAlt string
	By        string
	To        string
	Text      string
}

// handleStatusPage serves GET /s/{receipt}: the receipt as a small
// bilingual page.
func (s *Server) handleStatusPage(c echo.Context) error {
	receipt := c.Param("receipt")
	setLang(c, c.QueryParam("lang"))
	r, err := s.reportByReceipt(c.Request().Context(), receipt)
	if err != nil {
		return err
	}
	lang := s.langOf(c)
	alt := otherLang(lang)
	rv := newReceiptView(r)
	v := statusView{
		pageBase:    newPageBase(lang, s.text.t(lang, "status.heading")+" "+r.Code),
		SwitchURL:   "/s/" + url.PathEscape(receipt) + "?lang=" + alt,
		Code:        rv.Code,
		ReportTitle: rv.Title,
		Status:      s.text.t(lang, "state."+string(rv.Status)),
		StatusAlt:   s.text.t(alt, "state."+string(rv.Status)),
		LineName:    rv.Line,
		CreatedAt:   rv.CreatedAt,
		UpdatedAt:   rv.UpdatedAt,
		Reply:       rv.Reply,
	}
	if line, ok := s.plant.Line(rv.Line); ok {
		v.LineName, v.LineNameAlt = line.Name.In(lang), line.Name.In(alt)
		if v.LineNameAlt == v.LineName {
			v.LineNameAlt = ""
		}
	}
	if s.cfg.BaseURL != "" {
		v.Link = s.cfg.BaseURL + "/s/" + url.PathEscape(receipt)
	}
	for _, ev := range rv.History {
		se := statusEvent{
			At:     ev.At,
			Action: s.text.t(lang, "action."+ev.Action),
			By:     s.text.t(lang, "by."+ev.By),
			Text:   ev.Text,
		}
		if alt := s.text.t(alt, "action."+ev.Action); alt != se.Action {
			se.ActionAlt = alt
		}
		switch ev.Action {
		case store.ActionCreated, store.ActionStatus:
			se.To = s.text.t(lang, "state."+ev.To)
		case store.ActionTeam:
			if team, ok := s.plant.Team(ev.To); ok {
				se.To = team.Name.In(lang)
			}
		}
		v.History = append(v.History, se)
	}
	return s.render(c, http.StatusOK, "status.html", v)
}
