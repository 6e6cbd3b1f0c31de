// Package qr makes the QR codes of the lines' report forms: the URL each
// encodes (FormURL), the code as SVG, PNG or vector squares on a PDF page,
// and the printable A4 sheet of stickers (Sheet).
//
// Codes are encoded with boombuler/barcode and drawn here module by module:
// gofpdf's contrib barcode would embed a lossy JPEG of the code.
package qr

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"strconv"

	"github.com/boombuler/barcode"
	bqr "github.com/boombuler/barcode/qr"

	"github.com/floorfeed/floorfeed/pdfdoc"
)

// QuietZone is the blank border around a code, in modules, that scanners
// need (the standard's minimum is 4).
const QuietZone = 4

// Code is an encoded QR code: a square of dark and light modules, without
// its quiet zone.
type Code struct {
	Content string
	size    int
	dark    []bool
}

// Encode encodes content at error-correction level M (15% of the code can
// be damaged or dirty and it still reads: a sticker on a machine).
func Encode(content string) (*Code, error) {
	bc, err := bqr.Encode(content, bqr.M, bqr.Auto)
	if err != nil {
		return nil, fmt.Errorf("qr encode %q: %w", content, err)
	}
	return fromBarcode(content, bc), nil
}

func fromBarcode(content string, bc barcode.Barcode) *Code {
	b := bc.Bounds()
	n := b.Dx()
	c := &Code{Content: content, size: n, dark: make([]bool, n*n)}
	for y := range n {
		for x := range n {
			r, _, _, _ := bc.At(b.Min.X+x, b.Min.Y+y).RGBA()
			c.dark[y*n+x] = r < 0x8000
		}
	}
	return c
}

// Size is the number of modules on a side, without the quiet zone.
func (c *Code) Size() int { return c.size }

// Dark reports whether the module at column x, row y is dark.
func (c *Code) Dark(x, y int) bool {
	return x >= 0 && y >= 0 && x < c.size && y < c.size && c.dark[y*c.size+x]
}

// runs calls fn for each horizontal run of dark modules: row y, columns
// x to x+n-1. Drawing runs instead of single modules makes a smaller file
// and leaves no seams between neighbours in a row.
func (c *Code) runs(fn func(x, y, n int)) {
	for y := range c.size {
		for x := 0; x < c.size; {
			if !c.Dark(x, y) {
				x++
				continue
			}
			n := 1
			for c.Dark(x+n, y) {
				n++
			}
			fn(x, y, n)
			x += n
		}
	}
}

// SVG returns the code as an SVG image, one unit per module with the quiet
// zone included, as a single path (scales to any size without blur).
func (c *Code) SVG() []byte {
	total := c.size + 2*QuietZone
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" shape-rendering="crispEdges">`, total, total, total*8, total*8)
	b.WriteString("\n<title>")
	xmlEscape(&b, c.Content)
	b.WriteString("</title>\n")
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/>`+"\n", total, total)
	b.WriteString(`<path fill="#000" d="`)
	c.runs(func(x, y, n int) {
		b.WriteByte('M')
		b.WriteString(strconv.Itoa(x + QuietZone))
		b.WriteByte(' ')
		b.WriteString(strconv.Itoa(y + QuietZone))
		b.WriteString("h" + strconv.Itoa(n) + "v1h-" + strconv.Itoa(n) + "z")
	})
	b.WriteString(`"/>` + "\n</svg>\n")
	return b.Bytes()
}

func xmlEscape(b *bytes.Buffer, s string) {
	for _, r := range s {
		switch r {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '"':
			b.WriteString("&quot;")
		default:
			b.WriteRune(r)
		}
	}
}

// Image returns the code as a black-and-white image, scale pixels per
// module, quiet zone included.
func (c *Code) Image(scale int) *image.Paletted {
	scale = max(scale, 1)
	total := (c.size + 2*QuietZone) * scale
	img := image.NewPaletted(image.Rect(0, 0, total, total), color.Palette{color.White, color.Black})
	c.runs(func(x, y, n int) {
		for py := (y + QuietZone) * scale; py < (y+QuietZone+1)*scale; py++ {
			row := img.Pix[py*img.Stride:]
			for px := (x + QuietZone) * scale; px < (x+QuietZone+n)*scale; px++ {
				row[px] = 1
			}
		}
	})
	return img
}

// PNG returns Image(scale) encoded as PNG.
func (c *Code) PNG(scale int) ([]byte, error) {
	var b bytes.Buffer
	if err := png.Encode(&b, c.Image(scale)); err != nil {
		return nil, fmt.Errorf("qr png: %w", err)
	}
	return b.Bytes(), nil
}

// PrintGrid is the grid, in millimetres, that Draw puts module edges on:
// 1/150 inch, which divides the dot pitch of 300, 600 and 1200 dpi printers
// (and 150 dpi scans), so that no module edge falls between dots and is
// dithered grey.
const PrintGrid = 25.4 / 150

// DrawSize is the side of the square Draw fills when given size: the
// largest whole number of grid steps per module that fits, quiet zone
// included (at least one step per module).
func (c *Code) DrawSize(size float64) float64 {
	total := float64(c.size + 2*QuietZone)
	steps := math.Max(1, math.Floor(size/total/PrintGrid+1e-9))
	return steps * PrintGrid * total
}

// Draw draws the code on d as vector squares in a square of side
// DrawSize(size) whose top-left corner is (x, y) moved to the nearest
// PrintGrid point; the quiet zone is left white. It returns the side drawn.
func (c *Code) Draw(d *pdfdoc.Doc, x, y, size float64) float64 {
	side := c.DrawSize(size)
	m := side / float64(c.size+2*QuietZone)
	x = math.Round(x/PrintGrid) * PrintGrid
	y = math.Round(y/PrintGrid) * PrintGrid
	x0, y0 := x+QuietZone*m, y+QuietZone*m
	// Rows overlap by a hair so no rasterizer leaves a light seam between
	// them; a module is 1 mm or so, the overlap 1/100 of that.
	seam := m / 100
	c.runs(func(cx, cy, n int) {
		d.FillRect(x0+float64(cx)*m, y0+float64(cy)*m, float64(n)*m, m+seam, pdfdoc.Black)
	})
	return side
}
