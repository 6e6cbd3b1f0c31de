package pdfdoc

import (
	_ "embed"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/jung-kurt/gofpdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/sfnt"
)

// droidSansFallback is Debian's fonts-droid-fallback DroidSansFallbackFull.ttf
// (Apache-2.0, licence in fonts/DroidSansFallbackFull.LICENSE): TrueType
// outlines for CJK, Hangul, kana and many symbols, but no Latin letters.
//
//go:embed fonts/DroidSansFallbackFull.ttf
var droidSansFallback []byte

// bmp is the number of code points gofpdf can address: its width tables
// stop at U+FFFF (a rune above makes Cell and GetStringWidth panic).
const bmp = 0x10000

// FontOverride replaces the fallback face (the one that draws CJK and every
// script the Go fonts lack) with TrueType files of the installation's choice.
type FontOverride struct {
	// Path is a TrueType font file (.ttf with glyf outlines). TrueType
	// collections (.ttc) and OpenType fonts with CFF outlines (.otf, most
	// Noto CJK files) are refused: gofpdf cannot embed them.
	Path string
	// BoldPath is an optional bold TrueType file; empty means bold text in
	// this face is simulated (outlined glyphs).
	BoldPath string
}

// FontSet is a validated set of faces with their coverage and width tables.
// Building one parses every font (tens of milliseconds), so make one at start
// and share it: a FontSet is immutable and safe for concurrent use by any
// number of documents.
type FontSet struct {
	faces       []*face
	placeholder rune
}

// face is one typeface: its TrueType bytes for regular and (optionally)
// bold, which BMP runes it has glyphs for, and their advance widths in
// gofpdf's units (thousandths of the font size), taken from gofpdf itself so
// our measurements equal what it lays out.
type face struct {
	name     string
	regular  []byte
	bold     []byte // nil: bold is simulated with a stroked outline
	covers   []uint64
	widths   [2][]uint16 // [regular, bold] per BMP rune
	fakeBold bool
}

func (f *face) has(r rune) bool {
	return r >= 0 && r < bmp && f.covers[r>>6]&(1<<(uint(r)&63)) != 0
}

// defaultFonts builds the embedded set once: it is a pure function of
// constant embedded bytes, so memoising it is not mutable state.
var defaultFonts = sync.OnceValues(func() (*FontSet, error) {
	return newFontSet(
		faceSource{name: "go", regular: goregular.TTF, bold: gobold.TTF},
		faceSource{name: "droid", regular: droidSansFallback},
	)
})

// DefaultFonts returns the embedded faces: the Go fonts (golang.org/x/image
// gofont, regular and bold) for Latin, Greek, Cyrillic and digits, then Droid
// Sans Fallback for CJK and the rest, with bold simulated. The set is built
// once per process.
func DefaultFonts() (*FontSet, error) { return defaultFonts() }

// LoadFonts returns the embedded faces with the fallback face replaced as o
// says; a zero o gives DefaultFonts. Call it at start so a bad file is
// reported then (a TTC, an OTF with CFF outlines, a file gofpdf cannot parse)
// instead of as gofpdf's "undefined font" in the middle of a brief.
func LoadFonts(o FontOverride) (*FontSet, error) {
	if o.Path == "" {
		if o.BoldPath != "" {
			return nil, errors.New("pdf font: a bold font file needs the regular one too")
		}
		return DefaultFonts()
	}
	reg, err := readTrueType(o.Path)
	if err != nil {
		return nil, err
	}
	var bold []byte
	if o.BoldPath != "" {
		if bold, err = readTrueType(o.BoldPath); err != nil {
			return nil, err
		}
	}
	fs, err := newFontSet(
		faceSource{name: "go", regular: goregular.TTF, bold: gobold.TTF},
		faceSource{name: "custom", regular: reg, bold: bold},
	)
	if err != nil {
		return nil, fmt.Errorf("pdf font %s: %w", o.Path, err)
	}
	return fs, nil
}

func readTrueType(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("pdf font: %w", err)
	}
	if err := checkSfnt(b); err != nil {
		return nil, fmt.Errorf("pdf font %s: %w", path, err)
	}
	return b, nil
}

// Errors of CheckTrueType.
var (
	ErrFontCollection = errors.New("a TrueType collection (.ttc) holds several fonts and gofpdf embeds single TrueType fonts only: use a .ttf file with one face")
	ErrFontCFF        = errors.New("an OpenType font with CFF (PostScript) outlines cannot be embedded by gofpdf: use a TrueType font with glyf outlines (.ttf)")
	ErrNotTrueType    = errors.New("not a TrueType font file")
)

// requiredTables are what gofpdf reads to embed a subset.
var requiredTables = []string{"cmap", "glyf", "head", "hhea", "hmtx", "loca", "maxp"}

// CheckTrueType reports whether b is a single TrueType font with glyf
// outlines that gofpdf can embed: it checks the sfnt header and the table
// directory (ErrFontCollection, ErrFontCFF, ErrNotTrueType, or a missing
// table), then has gofpdf itself parse the font.
func CheckTrueType(b []byte) error {
	if err := checkSfnt(b); err != nil {
		return err
	}
	_, err := gofpdfWidths(b)
	return err
}

// checkSfnt checks the header and table directory of a TrueType file.
func checkSfnt(b []byte) error {
	if len(b) < 12 {
		return ErrNotTrueType
	}
	switch string(b[:4]) {
	case "ttcf":
		return ErrFontCollection
	case "OTTO":
		return ErrFontCFF
	case "\x00\x01\x00\x00", "true":
	default:
		return ErrNotTrueType
	}
	n := int(binary.BigEndian.Uint16(b[4:6]))
	if len(b) < 12+16*n {
		return fmt.Errorf("%w: table directory truncated", ErrNotTrueType)
	}
	tables := make(map[string]bool, n)
	for i := range n {
		rec := b[12+16*i:]
		off, length := binary.BigEndian.Uint32(rec[8:12]), binary.BigEndian.Uint32(rec[12:16])
		if uint64(off)+uint64(length) > uint64(len(b)) {
			return fmt.Errorf("%w: table %q lies outside the file", ErrNotTrueType, rec[:4])
		}
		tables[string(rec[:4])] = true
	}
	if tables["CFF "] || tables["CFF2"] {
		return ErrFontCFF
	}
	for _, t := range requiredTables {
		if !tables[t] {
			return fmt.Errorf("%w: no %q table", ErrNotTrueType, t)
		}
	}
	if _, err := sfnt.Parse(b); err != nil {
		return fmt.Errorf("%w: %v", ErrNotTrueType, err)
	}
	return nil
}

// gofpdfWidths has gofpdf parse b and returns its advance width of every BMP
// rune (units of 1/1000 of the font size). gofpdf reports a font it cannot
// parse only by printing and leaving it undefined, and may panic on a
// malformed one; both become errors here.
func gofpdfWidths(b []byte) (w []uint16, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("gofpdf cannot parse the font: %v", p)
		}
	}()
	pdf := gofpdf.New("P", "mm", "A4", "")
	pdf.AddUTF8FontFromBytes("probe", "", b)
	pdf.SetFont("probe", "", 10)
	if pdf.Err() {
		return nil, fmt.Errorf("gofpdf cannot use the font: %w", pdf.Error())
	}
	w = make([]uint16, bmp)
	var buf [4]byte
	for r := rune(0); r < bmp; r++ {
		n := encodeRune(buf[:], r)
		w[r] = uint16(min(pdf.GetStringSymbolWidth(string(buf[:n])), 0xffff))
	}
	return w, nil
}

// encodeRune is utf8.EncodeRune that also encodes surrogate code points (as
// gofpdf's []rune conversion would see them replaced; their width is unused).
func encodeRune(p []byte, r rune) int {
	switch {
	case r < 0x80:
		p[0] = byte(r)
		return 1
	case r < 0x800:
		p[0], p[1] = 0xC0|byte(r>>6), 0x80|byte(r)&0x3F
		return 2
	default:
		p[0], p[1], p[2] = 0xE0|byte(r>>12), 0x80|byte(r>>6)&0x3F, 0x80|byte(r)&0x3F
		return 3
	}
}

type faceSource struct {
	name          string
	regular, bold []byte
}

func newFontSet(srcs ...faceSource) (*FontSet, error) {
	fs := &FontSet{placeholder: '?'}
	for _, src := range srcs {
		f, err := newFace(src)
		if err != nil {
			return nil, err
		}
		fs.faces = append(fs.faces, f)
	}
	for _, f := range fs.faces {
		if f.has('□') {
			fs.placeholder = '□'
			break
		}
	}
	return fs, nil
}

func newFace(src faceSource) (*face, error) {
	f := &face{name: src.name, regular: src.regular, bold: src.bold, fakeBold: src.bold == nil}
	if err := checkSfnt(src.regular); err != nil {
		return nil, fmt.Errorf("font %s: %w", src.name, err)
	}
	sf, err := sfnt.Parse(src.regular)
	if err != nil {
		return nil, fmt.Errorf("font %s: %w", src.name, err)
	}
	f.covers = make([]uint64, bmp/64)
	var buf sfnt.Buffer
	for r := rune(0x20); r < bmp; r++ {
		if r >= 0xD800 && r <= 0xDFFF {
			continue // surrogates are never text
		}
		if g, err := sf.GlyphIndex(&buf, r); err == nil && g != 0 {
			f.covers[r>>6] |= 1 << (uint(r) & 63)
		}
	}
	if f.widths[0], err = gofpdfWidths(src.regular); err != nil {
		return nil, fmt.Errorf("font %s: %w", src.name, err)
	}
	f.widths[1] = f.widths[0]
	if src.bold != nil {
		if err := checkSfnt(src.bold); err != nil {
			return nil, fmt.Errorf("font %s bold: %w", src.name, err)
		}
		if f.widths[1], err = gofpdfWidths(src.bold); err != nil {
			return nil, fmt.Errorf("font %s bold: %w", src.name, err)
		}
	}
	return f, nil
}

// faceFor returns the index of the first face with a glyph for r, or -1.
func (fs *FontSet) faceFor(r rune) int {
	for i, f := range fs.faces {
		if f.has(r) {
			return i
		}
	}
	return -1
}

// Placeholder is the rune drawn instead of one no face can draw (an emoji,
// a control character, a script none of the fonts covers): "□" when a face
// has it, else "?".
func (fs *FontSet) Placeholder() rune { return fs.placeholder }
