package handlers

import (
	"bytes"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/floorfeed/floorfeed/i18n"
	"github.com/floorfeed/floorfeed/plant"
	"github.com/floorfeed/floorfeed/qr"
)

// The QR routes of the authenticated API.
const (
	routeQRSheet   = "/api/v1/qr-sheet.pdf"
	routeLineQRSVG = "/api/v1/lines/:line/qr.svg"
	routeLineQRPNG = "/api/v1/lines/:line/qr.png"
	qrDefaultScale = 8
	qrMaxScale     = 40
)

// registerQRRoutes adds the QR stickers to the authenticated API area g:
//
//	GET /api/v1/qr-sheet.pdf[?lang=zh|en]          the A4 sheet: every line and station
//	GET /api/v1/lines/{line}/qr.svg[?s=station]    one code, SVG
//	GET /api/v1/lines/{line}/qr.png[?s=station&scale=8]  one code, PNG (scale px per module)
//
// The URLs in the codes use the configured base URL (else the one the
// request came to) and the installation's secret.
func (s *Server) registerQRRoutes(g routeGroup) {
	g.GET(routeQRSheet, s.handleQRSheet)
	g.GET(routeLineQRSVG, s.handleLineQRSVG)
	g.GET(routeLineQRPNG, s.handleLineQRPNG)
}

// QRStickers returns the stickers of the plant's lines, in the plant file's
// order: each line's own code, then one per station.
func QRStickers(p *plant.Plant, base string, formURL func(base, line, station string) string) []qr.Sticker {
	var out []qr.Sticker
	for _, l := range p.Lines {
		out = append(out, qr.Sticker{URL: formURL(base, l.ID, ""), NameZH: l.Name.ZH, NameEN: l.Name.EN})
		for _, st := range lineStations(l) {
			out = append(out, qr.Sticker{URL: formURL(base, l.ID, st.ID), NameZH: l.Name.ZH, NameEN: l.Name.EN,
				Station: st.ID, StationZH: st.ZH, StationEN: st.EN})
		}
	}
	return out
}

func (s *Server) formURL(base, line, station string) string {
	return qr.FormURL(base, line, station, s.signer)
}

// handleQRSheet serves GET /api/v1/qr-sheet.pdf.
func (s *Server) handleQRSheet(c echo.Context) error {
	lang := i18n.Default
	if v := c.QueryParam("lang"); v != "" {
		l, ok := i18n.Parse(v)
		if !ok {
			return errValidation(map[string]string{"lang": "invalid"})
		}
		lang = l
	}
	var buf bytes.Buffer
	err := qr.Sheet(&buf, QRStickers(s.plant, s.baseURL(c), s.formURL), qr.SheetOptions{
		Lang: lang, Fonts: s.pdfFonts, PlantName: s.plant.Name.In(lang.String()), Created: s.now(),
	})
	if err != nil {
		return err // an internal error: logged, a plain 500 shown
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, `inline; filename="floorfeed-qr-`+lang.String()+`.pdf"`)
	return c.Blob(http.StatusOK, "application/pdf", buf.Bytes())
}

// lineCode encodes the form URL of the request's line (and station, ?s=).
func (s *Server) lineCode(c echo.Context) (*qr.Code, error) {
	line, ok := s.plant.Line(c.Param("line"))
	if !ok {
		return nil, errNotFound()
	}
	station := c.QueryParam("s")
	if station != "" && stationParam(line, station) != station {
		return nil, errValidation(map[string]string{"s": "unknown"})
	}
	return qr.Encode(s.formURL(s.baseURL(c), line.ID, station))
}

// handleLineQRSVG serves GET /api/v1/lines/{line}/qr.svg.
func (s *Server) handleLineQRSVG(c echo.Context) error {
	code, err := s.lineCode(c)
	if err != nil {
		return err
	}
	return c.Blob(http.StatusOK, "image/svg+xml", code.SVG())
}

// handleLineQRPNG serves GET /api/v1/lines/{line}/qr.png.
func (s *Server) handleLineQRPNG(c echo.Context) error {
	scale := qrDefaultScale
	if v := c.QueryParam("scale"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > qrMaxScale {
			return errValidation(map[string]string{"scale": "invalid"})
		}
		scale = n
	}
	code, err := s.lineCode(c)
	if err != nil {
		return err
	}
	b, err := code.PNG(scale)
	if err != nil {
		return err
	}
	return c.Blob(http.StatusOK, "image/png", b)
}
