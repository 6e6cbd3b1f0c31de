// Package pdfdoc makes A4 PDF documents with text in any mix of Chinese and
// English. It is the only package that imports gofpdf (jung-kurt/gofpdf
// v1.16.2), so a later swap to a maintained fork is one change, and it
// handles that library's traps so callers need not know them:
//
//   - Fonts are embedded in the binary (the Go fonts for Latin text and
//     digits, Droid Sans Fallback for CJK and the rest) and text is drawn in
//     script runs, each with a face that has its glyphs. A replacement face
//     is validated when loaded (LoadFonts): gofpdf embeds single TrueType
//     fonts only and would report a .ttc or CFF .otf much later, as
//     "undefined font".
//   - Lines are broken here, measuring rune by rune: gofpdf's MultiCell,
//     SplitText and Write drop a CJK character at each automatic break.
//   - Runes above U+FFFF (emoji), control and format characters become a
//     visible placeholder (they make gofpdf's Cell panic); see Sanitize.
//   - Images are re-encoded here from decoded pixels, so no EXIF (GPS)
//     passes through and no malformed PNG reaches gofpdf's parser.
//   - gofpdf writes into the font bytes it is given (padding tables in
//     place to checksum them): each document gives it a private copy, so
//     documents in parallel goroutines do not race on the shared fonts.
//   - gofpdf's width table for a font is built in time cubic in the length of
//     a run of consecutive code points used; runes are spread over several
//     copies of a face so that no copy has a long run (a hostile text of
//     20,000 consecutive ideographs still renders in well under a second).
//
// Coordinates are millimetres from the top-left corner of the page; font
// sizes are points.
//
// A Doc is not safe for concurrent use, and neither is the gofpdf document
// under it: make one Doc per goroutine (per brief, per request). A FontSet
// is immutable and is shared by all of them.
package pdfdoc

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/jung-kurt/gofpdf"
)

// A4 page size in millimetres.
const (
	A4Width  = 210.0
	A4Height = 297.0
)

const mmPerPt = 25.4 / 72

// Defaults.
const (
	DefaultMargin     = 15.0 // millimetres
	DefaultSize       = 10.0 // points
	DefaultLineHeight = 1.3  // times the font size
)

// Margins are page margins in millimetres.
type Margins struct {
	Top, Right, Bottom, Left float64
}

// Options configure a document.
type Options struct {
	// Landscape turns the A4 page sideways (297 × 210 mm).
	Landscape bool
	// Margins bound Paragraph's text and its page breaks; a zero value
	// means DefaultMargin on every side.
	Margins Margins
	// Fonts are the faces text is drawn with; nil means DefaultFonts().
	Fonts *FontSet
	// Title, Author and Subject go into the document's metadata.
	Title, Author, Subject string
	// Created is the creation date in the metadata; zero means now. Fix it
	// for byte-identical output.
	Created time.Time
	// PageStart, when set, is called after each page is added (the first
	// one included), with the cursor at the top margin: a place for headers
	// and footers. It may draw but must not add pages.
	PageStart func(d *Doc)
}

// Color is an RGB colour; the zero value is black.
type Color struct{ R, G, B uint8 }

// Some colours.
var (
	Black = Color{}
	White = Color{255, 255, 255}
	Gray  = Color{128, 128, 128}
)

// Align is a horizontal alignment.
type Align uint8

// Alignments.
const (
	Left Align = iota
	Center
	Right
)

// Style is how text is drawn.
type Style struct {
	// Size is the font size in points; 0 means DefaultSize.
	Size float64
	// Bold selects the bold face (simulated for faces without one).
	Bold bool
	// Color is the text colour (black by default).
	Color Color
	// Align places each line within the width (Paragraph) or around x
	// (Text: Left starts at x, Center centres on x, Right ends at x).
	Align Align
	// LineHeight is the distance between baselines as a multiple of Size;
	// 0 means DefaultLineHeight.
	LineHeight float64
}

func (st Style) size() float64 {
	if st.Size <= 0 {
		return DefaultSize
	}
	return st.Size
}

// Doc is a PDF document being drawn. It is not safe for concurrent use: one
// Doc per goroutine. Drawing errors are kept and reported by Err and Write.
type Doc struct {
	pdf   *gofpdf.Fpdf
	fonts *FontSet
	opts  Options
	w, h  float64
	m     Margins
	x, y  float64

	fonts0    map[fontKey]string // gofpdf fonts registered so far: their family names
	layouts   map[layoutKey][]laidLine
	fontFiles map[faceVariant][]byte // private copies of the font files (fontBytes)
	spread    map[faceVariant]*spread
	cur       fontKey
	curSize   float64
	curColor  Color
	hasFont   bool

	draw      Color
	fill      Color
	lineWidth float64
	images    map[string]bool
	written   bool
	err       error

	noSpread bool // tests: one copy per face, to measure what spreading saves
}

// New starts a document with its first page added.
func New(o Options) (*Doc, error) {
	fs := o.Fonts
	if fs == nil {
		var err error
		if fs, err = DefaultFonts(); err != nil {
			return nil, fmt.Errorf("pdf fonts: %w", err)
		}
	}
	orient := "P"
	d := &Doc{fonts: fs, opts: o, w: A4Width, h: A4Height, m: o.Margins,
		fonts0: map[fontKey]string{}, layouts: map[layoutKey][]laidLine{}, fontFiles: map[faceVariant][]byte{}, spread: map[faceVariant]*spread{}, images: map[string]bool{},
		lineWidth: 0.2}
	if o.Landscape {
		orient = "L"
		d.w, d.h = A4Height, A4Width
	}
	if d.m == (Margins{}) {
		d.m = Margins{DefaultMargin, DefaultMargin, DefaultMargin, DefaultMargin}
	}
	d.pdf = gofpdf.New(orient, "mm", "A4", "")
	d.pdf.SetMargins(d.m.Left, d.m.Top, d.m.Right)
	d.pdf.SetAutoPageBreak(false, d.m.Bottom) // Paragraph breaks pages itself
	d.pdf.SetCreator("Floorfeed", false)
	if o.Title != "" {
		d.pdf.SetTitle(o.Title, true)
	}
	if o.Author != "" {
		d.pdf.SetAuthor(o.Author, true)
	}
	if o.Subject != "" {
		d.pdf.SetSubject(o.Subject, true)
	}
	if !o.Created.IsZero() {
		d.pdf.SetCreationDate(o.Created)
		d.pdf.SetModificationDate(o.Created)
	}
	d.pdf.SetCatalogSort(true)
	d.AddPage()
	return d, d.Err()
}

// Fonts returns the document's font set.
func (d *Doc) Fonts() *FontSet { return d.fonts }

// AddPage starts a new page and puts the cursor at the top-left margin.
func (d *Doc) AddPage() {
	d.pdf.AddPage()
	d.hasFont = false // gofpdf re-emits its current font; ours may differ
	d.pdf.SetLineWidth(d.lineWidth)
	d.x, d.y = d.m.Left, d.m.Top
	if d.opts.PageStart != nil {
		d.opts.PageStart(d)
		d.x, d.y = d.m.Left, d.m.Top
	}
}

// PageCount returns the number of pages so far.
func (d *Doc) PageCount() int { return d.pdf.PageCount() }

// PageSize returns the page width and height in millimetres.
func (d *Doc) PageSize() (w, h float64) { return d.w, d.h }

// Margins returns the page margins.
func (d *Doc) Margins() Margins { return d.m }

// ContentWidth is the page width between the left and right margins.
func (d *Doc) ContentWidth() float64 { return d.w - d.m.Left - d.m.Right }

// Cursor returns where Paragraph draws next: x from the left edge of the
// page, y the top of the next line.
func (d *Doc) Cursor() (x, y float64) { return d.x, d.y }

// SetCursor moves the cursor.
func (d *Doc) SetCursor(x, y float64) { d.x, d.y = x, y }

// Space moves the cursor down by h millimetres (a gap between blocks). It
// does not add a page: the next Paragraph or EnsureSpace does when needed.
func (d *Doc) Space(h float64) { d.y += h }

// Remaining is the height left between the cursor and the bottom margin.
func (d *Doc) Remaining() float64 { return d.h - d.m.Bottom - d.y }

// EnsureSpace adds a page when less than h millimetres remain below the
// cursor, so a block of height h (a table row, a chart) is not split. It
// reports whether it added one.
func (d *Doc) EnsureSpace(h float64) bool {
	if d.y+h <= d.h-d.m.Bottom+1e-9 || d.y <= d.m.Top+1e-9 {
		return false
	}
	x := d.x
	d.AddPage()
	d.x = x
	return true
}

// Err returns the first error met while drawing, if any.
func (d *Doc) Err() error {
	if d.err != nil {
		return d.err
	}
	if d.pdf.Err() {
		return fmt.Errorf("pdf: %w", d.pdf.Error())
	}
	return nil
}

func (d *Doc) fail(err error) {
	if d.err == nil {
		d.err = err
	}
}

// Write finishes the document and writes it to w. The Doc cannot be drawn
// on afterwards.
func (d *Doc) Write(w io.Writer) error {
	if err := d.Err(); err != nil {
		return err
	}
	if d.written {
		return errors.New("pdf: document already written")
	}
	d.written = true
	if err := d.pdf.Output(w); err != nil {
		return fmt.Errorf("write pdf: %w", err)
	}
	return nil
}

// EachPage calls fn once per page, in order, with that page current, so it
// can draw what needs the page count ("page 3 of 12", running footers);
// call it once, after the last page is made and before Write. Each call
// starts with the document's current colours, line width and solid lines;
// afterwards the last page is current again.
func (d *Doc) EachPage(fn func(page, total int)) {
	total := d.PageCount()
	restate := func() {
		// gofpdf tracks one drawing state for the whole document, but a
		// page's content stream has its own: say it all again, as gofpdf
		// does at the top of a new page.
		d.pdf.SetLineWidth(d.lineWidth)
		d.pdf.SetDrawColor(int(d.draw.R), int(d.draw.G), int(d.draw.B))
		d.pdf.SetFillColor(int(d.fill.R), int(d.fill.G), int(d.fill.B))
		d.pdf.SetDashPattern(nil, 0)
		d.pdf.SetTextRenderingMode(0)
		if len(d.fonts0) > 0 { // gofpdf has a current font: emit it here
			pt, _ := d.pdf.GetFontSize()
			d.pdf.SetFontSize(pt)
		}
	}
	for p := 1; p <= total; p++ {
		d.pdf.SetPage(p)
		restate()
		fn(p, total)
	}
	d.pdf.SetPage(total)
	restate()
}
