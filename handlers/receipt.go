package handlers

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/floorfeed/floorfeed/i18n"
	"github.com/floorfeed/floorfeed/store"
	"github.com/floorfeed/floorfeed/triage"
)

// maxReceiptLen bounds a receipt from a URL before it reaches the store
// (real ones are 22 characters).
const maxReceiptLen = 64

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

// handleReceipt serves GET /api/v1/receipts/{receipt}: the reporter's view
// of their report, as package triage decides it (triage.PublicView).
func (s *Server) handleReceipt(c echo.Context) error {
	r, err := s.reportByReceipt(c.Request().Context(), c.Param("receipt"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, triage.PublicView(r))
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
	alt := lang.Other()
	rv := triage.PublicView(r)
	v := statusView{
		pageBase:    newPageBase(lang.String(), s.text.msg(lang, "status.heading")+" "+rv.Code),
		SwitchURL:   "/s/" + url.PathEscape(receipt) + "?lang=" + alt.String(),
		Code:        rv.Code,
		ReportTitle: rv.Title,
		Status:      i18n.Status(lang, rv.Status),
		StatusAlt:   i18n.Status(alt, rv.Status),
		LineName:    rv.Line,
		CreatedAt:   rv.CreatedAt,
		UpdatedAt:   rv.UpdatedAt,
		Reply:       rv.Reply,
	}
	if line, ok := s.plant.Line(rv.Line); ok {
		v.LineName, v.LineNameAlt = line.Name.In(lang.String()), line.Name.In(alt.String())
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
			Action: i18n.Action(lang, ev.Action),
			By:     i18n.Actor(lang, ev.By),
			Text:   ev.Text,
		}
		if alt := i18n.Action(alt, ev.Action); alt != se.Action {
			se.ActionAlt = alt
		}
		switch ev.Action {
		case store.ActionCreated, store.ActionStatus:
			se.To = i18n.Status(lang, ev.To)
		case store.ActionTeam:
			if team, ok := s.plant.Team(ev.To); ok {
				se.To = team.Name.In(lang.String())
			}
		}
		v.History = append(v.History, se)
	}
	return s.render(c, http.StatusOK, "status.html", v)
}
