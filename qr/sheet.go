package qr

import (
	"cmp"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/floorfeed/floorfeed/i18n"
	"github.com/floorfeed/floorfeed/pdfdoc"
)

// Sticker is one labelled code on the sheet: a line's, or one of its
// stations'.
type Sticker struct {
	// URL is what the code encodes (FormURL), printed under it too for
	// people without a camera app (as DisplayURL shows it).
	URL string
	// NameZH and NameEN are the line's names.
	NameZH, NameEN string
	// Station is the station the code preselects (its id, in the URL);
	// empty for the line's own code.
	Station string
	// StationZH and StationEN are the station's names; empty means the id.
	StationZH, StationEN string
}

// SheetOptions configure Sheet.
type SheetOptions struct {
	// Lang is the language printed first (the other follows, smaller).
	Lang i18n.Lang
	// Fonts are the PDF faces; nil means pdfdoc.DefaultFonts().
	Fonts *pdfdoc.FontSet
	// PlantName is printed in each page's footer; optional.
	PlantName string
	// Created is the PDF's creation date; zero means now.
	Created time.Time
}

// The sheet's grid: A4 portrait, Columns × Rows stickers per page, cut
// marks in the margins and at the inner corners.
const (
	Columns     = 3
	Rows        = 4
	PerPage     = Columns * Rows
	sheetMargin = 12.0 // mm
	codeMax     = 42.0 // mm: the largest code drawn
	cellPad     = 3.0  // mm
	markLen     = 4.0  // mm: a cut mark in the margin
	crossArm    = 1.5  // mm: half a cross at an inner corner
)

var (
	gray  = pdfdoc.Color{R: 90, G: 90, B: 90}
	light = pdfdoc.Color{R: 150, G: 150, B: 150}
)

// Sheet writes the printable A4 sheet of stickers to w: PerPage per page,
// each with the line's name in o.Lang then the other language, the station
// when there is one, the code drawn as vector squares, and its URL.
func Sheet(w io.Writer, stickers []Sticker, o SheetOptions) error {
	lang, alt := o.Lang, o.Lang.Other()
	label := func(l i18n.Lang, key string) string {
		s, _ := i18n.Label(l, i18n.KindQR, key)
		return s
	}
	title := label(lang, "title") + " · " + label(alt, "title")
	footer := strings.TrimSpace(o.PlantName + "  " + title + " — " + label(lang, "cut") + " · " + label(alt, "cut"))
	m := pdfdoc.Margins{Top: sheetMargin, Right: sheetMargin, Bottom: sheetMargin, Left: sheetMargin}
	d, err := pdfdoc.New(pdfdoc.Options{Fonts: o.Fonts, Margins: m, Title: title, Author: "Floorfeed", Created: o.Created})
	if err != nil {
		return fmt.Errorf("qr sheet: %w", err)
	}
	pw, ph := d.PageSize()
	cw, ch := (pw-2*sheetMargin)/Columns, (ph-2*sheetMargin)/Rows
	for i, st := range stickers {
		if i > 0 && i%PerPage == 0 {
			d.AddPage()
		}
		if i%PerPage == 0 {
			cutMarks(d, pw, ph, cw, ch)
			d.Text(pw/2, ph-sheetMargin+5.5, footer, pdfdoc.Style{Size: 7, Color: light, Align: pdfdoc.Center})
		}
		k := i % PerPage
		x, y := sheetMargin+float64(k%Columns)*cw, sheetMargin+float64(k/Columns)*ch
		code, err := Encode(st.URL)
		if err != nil {
			return fmt.Errorf("qr sheet: %w", err)
		}
		drawSticker(d, code, st, lang, x, y, cw, ch, label)
	}
	if len(stickers) == 0 {
		d.Text(pw/2, ph/2, "—", pdfdoc.Style{Size: 12, Align: pdfdoc.Center})
	}
	if err := d.Write(w); err != nil {
		return fmt.Errorf("qr sheet: %w", err)
	}
	return nil
}

// drawSticker lays one sticker out in its cell: names and station from the
// top, the URL from the bottom, the largest code that fits between them.
func drawSticker(d *pdfdoc.Doc, code *Code, st Sticker, lang i18n.Lang, x, y, w, h float64, label func(i18n.Lang, string) string) {
	alt := lang.Other()
	names := map[i18n.Lang]string{i18n.Zh: st.NameZH, i18n.En: st.NameEN}
	first, second := names[lang], names[alt]
	if first == "" {
		first, second = second, ""
	}
	if second == first {
		second = ""
	}
	tw := w - 2*cellPad
	top := y + cellPad
	block := func(s string, style pdfdoc.Style, maxLines int) {
		lines := d.Lines(s, style, tw)
		if len(lines) > maxLines {
			lines = lines[:maxLines]
			lines[maxLines-1] += "…"
		}
		for _, l := range lines {
			d.Text(x+w/2, top, l, style)
			top += d.LineHeight(style)
		}
	}
	block(first, pdfdoc.Style{Size: 11, Bold: true, Align: pdfdoc.Center, LineHeight: 1.2}, 2)
	if second != "" {
		block(second, pdfdoc.Style{Size: 8.5, Color: gray, Align: pdfdoc.Center, LineHeight: 1.2}, 2)
	}
	if st.Station != "" {
		sn := map[i18n.Lang]string{i18n.Zh: st.StationZH, i18n.En: st.StationEN}
		name := cmp.Or(sn[lang], sn[alt], st.Station)
		if other := sn[alt]; other != "" && other != name {
			name += " · " + other
		}
		block(label(lang, "station")+" "+label(alt, "station")+": "+name, pdfdoc.Style{Size: 9.5, Bold: true, Align: pdfdoc.Center, LineHeight: 1.25}, 2)
	}
	block(label(lang, "scan")+" · "+label(alt, "scan"), pdfdoc.Style{Size: 6.5, Color: gray, Align: pdfdoc.Center}, 2)

	// From the bottom: the URL (it breaks anywhere: it has no spaces).
	urlStyle := pdfdoc.Style{Size: 6, Color: gray, Align: pdfdoc.Center, LineHeight: 1.2}
	hint := pdfdoc.Style{Size: 5.5, Color: light, Align: pdfdoc.Center, LineHeight: 1.2}
	urlLines := d.Lines(DisplayURL(st.URL), urlStyle, tw)
	bottom := y + h - cellPad - float64(len(urlLines))*d.LineHeight(urlStyle) - d.LineHeight(hint)
	d.Text(x+w/2, bottom, label(lang, "no_camera")+" "+label(alt, "no_camera"), hint)
	for i, l := range urlLines {
		d.Text(x+w/2, bottom+d.LineHeight(hint)+float64(i)*d.LineHeight(urlStyle), l, urlStyle)
	}
	size := code.DrawSize(min(codeMax, bottom-top, tw+2*cellPad))
	code.Draw(d, x+(w-size)/2, top+(bottom-top-size)/2, size)
}

// cutMarks draws the page's cut marks: short lines in the margins where
// the grid's lines run, and small crosses where they meet inside.
func cutMarks(d *pdfdoc.Doc, pw, ph, cw, ch float64) {
	d.SetDrawColor(light)
	d.SetLineWidth(0.15)
	for c := 0; c <= Columns; c++ {
		x := sheetMargin + float64(c)*cw
		d.Line(x, sheetMargin-markLen-1, x, sheetMargin-1)
		d.Line(x, ph-sheetMargin+1, x, ph-sheetMargin+markLen+1)
	}
	for r := 0; r <= Rows; r++ {
		y := sheetMargin + float64(r)*ch
		d.Line(sheetMargin-markLen-1, y, sheetMargin-1, y)
		d.Line(pw-sheetMargin+1, y, pw-sheetMargin+markLen+1, y)
	}
	for c := 0; c <= Columns; c++ {
		for r := 0; r <= Rows; r++ {
			x, y := sheetMargin+float64(c)*cw, sheetMargin+float64(r)*ch
			if c > 0 && c < Columns || r > 0 && r < Rows {
				d.Line(x-crossArm, y, x+crossArm, y)
				d.Line(x, y-crossArm, x, y+crossArm)
			}
		}
	}
	d.SetDrawColor(pdfdoc.Black)
	d.SetLineWidth(0.2)
}
