// Package apiview is a report as the authenticated API shows it: the JSON
// of GET /api/v1/reports/{id}, of the report list and of the exports, so
// that every way R&D reads a report out gives the same fields.
package apiview

import (
	"time"

	"github.com/floorfeed/floorfeed/store"
)

// Report is every field of a report except the receipt, which is the
// reporter's credential, with only re-encoded photos, each with its URLs.
type Report struct {
	ID          string         `json:"id"`
	Code        string         `json:"code"`
	Line        string         `json:"line"`
	Category    string         `json:"category"`
	Severity    store.Severity `json:"severity"`
	Title       string         `json:"title"`
	Body        string         `json:"body"`
	Station     string         `json:"station"`
	Role        store.Role     `json:"role"`
	Reporter    string         `json:"reporter"`
	Contact     string         `json:"contact"`
	Lang        string         `json:"lang"`
	Status      store.Status   `json:"status"`
	Team        string         `json:"team"`
	Votes       int            `json:"votes"`
	Reply       string         `json:"reply"`
	CreatedAt   time.Time      `json:"created_at"`
	UpdatedAt   time.Time      `json:"updated_at"`
	ProcessedAt *time.Time     `json:"processed_at"`
	Photos      []store.Photo  `json:"photos"`
	History     []store.Event  `json:"history"`
}

// Of returns r as the API shows it (photos and history never null).
func Of(r store.Report) Report {
	v := Report{
		ID: r.ID, Code: r.Code, Line: r.Line, Category: r.Category, Severity: r.Severity,
		Title: r.Title, Body: r.Body, Station: r.Station, Role: r.Role, Reporter: r.Reporter,
		Contact: r.Contact, Lang: r.Lang, Status: r.Status, Team: r.Team, Votes: r.Votes,
		Reply: r.Reply, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, ProcessedAt: r.ProcessedAt,
		Photos: Photos(r), History: r.History,
	}
	if v.History == nil {
		v.History = []store.Event{}
	}
	return v
}

// Photos lists r's re-encoded photos with their URLs (a photo whose job has
// not run yet, or failed, is not shown).
func Photos(r store.Report) []store.Photo {
	out := []store.Photo{}
	for _, p := range r.Photos {
		if !p.Ready() {
			continue
		}
		base := PhotoURL(r.ID, p.ID)
		out = append(out, store.Photo{ID: p.ID, URL: base, ThumbURL: base + "/thumb", Width: p.Width, Height: p.Height})
	}
	return out
}

// PhotoURL is the path of a report's re-encoded photo (its thumbnail: + "/thumb").
func PhotoURL(reportID, photoID string) string {
	return "/api/v1/reports/" + reportID + "/photos/" + photoID
}
