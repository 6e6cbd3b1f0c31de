package pdfdoc

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"

	// Decoders for ImageData; re-encoded before gofpdf sees them.
	_ "image/gif"

	"github.com/jung-kurt/gofpdf"
)

// MaxImagePixels bounds an image given to Image or ImageData (40 MP).
const MaxImagePixels = 40_000_000

// SetDrawColor sets the colour of lines and rectangle outlines.
func (d *Doc) SetDrawColor(c Color) {
	d.draw = c
	d.pdf.SetDrawColor(int(c.R), int(c.G), int(c.B))
}

// SetColor is SetDrawColor.
func (d *Doc) SetColor(c Color) { d.SetDrawColor(c) }

// SetLineWidth sets the width of lines and outlines in millimetres (0.2 by
// default).
func (d *Doc) SetLineWidth(w float64) {
	d.lineWidth = w
	d.pdf.SetLineWidth(w)
}

// SetDash makes the following lines dashed (on and off lengths in
// millimetres); SetDash(0, 0) makes them solid again.
func (d *Doc) SetDash(on, off float64) {
	if on <= 0 {
		d.pdf.SetDashPattern(nil, 0)
		return
	}
	d.pdf.SetDashPattern([]float64{on, off}, 0)
}

// Line draws a line from (x1, y1) to (x2, y2).
func (d *Doc) Line(x1, y1, x2, y2 float64) { d.pdf.Line(x1, y1, x2, y2) }

// Rect draws the outline of a rectangle.
func (d *Doc) Rect(x, y, w, h float64) { d.pdf.Rect(x, y, w, h, "D") }

// FillRect fills a rectangle with c, without an outline.
func (d *Doc) FillRect(x, y, w, h float64, c Color) {
	d.setFill(c)
	d.pdf.Rect(x, y, w, h, "F")
}

// Point is a position on the page in millimetres.
type Point struct{ X, Y float64 }

// Polyline draws connected line segments through pts.
func (d *Doc) Polyline(pts []Point) {
	for i := 1; i < len(pts); i++ {
		d.pdf.Line(pts[i-1].X, pts[i-1].Y, pts[i].X, pts[i].Y)
	}
}

// FillPolygon fills the polygon through pts with c, without an outline.
func (d *Doc) FillPolygon(pts []Point, c Color) {
	if len(pts) < 3 {
		return
	}
	d.setFill(c)
	ps := make([]gofpdf.PointType, len(pts))
	for i, p := range pts {
		ps[i] = gofpdf.PointType{X: p.X, Y: p.Y}
	}
	d.pdf.Polygon(ps, "F")
}

// FillCircle fills a circle of radius r centred on (x, y) with c.
func (d *Doc) FillCircle(x, y, r float64, c Color) {
	d.setFill(c)
	d.pdf.Circle(x, y, r, "F")
}

func (d *Doc) setFill(c Color) {
	d.fill = c
	d.pdf.SetFillColor(int(c.R), int(c.G), int(c.B))
}

// Link makes the rectangle (x, y, w, h) on the current page a link to url.
func (d *Doc) Link(x, y, w, h float64, url string) { d.pdf.LinkString(x, y, w, h, url) }

// Image draws img in the rectangle (x, y, w, h); when w or h is 0 it is
// computed from the other and the image's aspect ratio. The pixels are
// re-encoded here (JPEG for opaque images, PNG when there is transparency),
// so only bytes this package made reach gofpdf: no metadata of the source
// file, no malformed PNG. Identical images are embedded once.
func (d *Doc) Image(img image.Image, x, y, w, h float64) error {
	b := img.Bounds()
	if b.Empty() {
		return errors.New("pdf image: empty")
	}
	if b.Dx()*b.Dy() > MaxImagePixels || b.Dx() > 1<<15 || b.Dy() > 1<<15 {
		return fmt.Errorf("pdf image: %d×%d pixels is too large", b.Dx(), b.Dy())
	}
	switch {
	case w <= 0 && h <= 0:
		return errors.New("pdf image: no size given")
	case w <= 0:
		w = h * float64(b.Dx()) / float64(b.Dy())
	case h <= 0:
		h = w * float64(b.Dy()) / float64(b.Dx())
	}
	data, typ, err := encodeImage(img)
	if err != nil {
		return fmt.Errorf("pdf image: %w", err)
	}
	sum := sha256.Sum256(data)
	name := "img" + hex.EncodeToString(sum[:12])
	opt := gofpdf.ImageOptions{ImageType: typ}
	if !d.images[name] {
		d.pdf.RegisterImageOptionsReader(name, opt, bytes.NewReader(data))
		if err := d.Err(); err != nil {
			return err
		}
		d.images[name] = true
	}
	d.pdf.ImageOptions(name, x, y, w, h, false, opt, 0, "")
	return d.Err()
}

// ImageData decodes a JPEG, PNG or GIF (its pixel count checked from the
// header before decoding) and draws it as Image does, re-encoded.
func (d *Doc) ImageData(data []byte, x, y, w, h float64) error {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("pdf image: %w", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > MaxImagePixels {
		return fmt.Errorf("pdf image: %d×%d pixels is too large", cfg.Width, cfg.Height)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("pdf image: %w", err)
	}
	return d.Image(img, x, y, w, h)
}

// encodeImage re-encodes img as 8-bit RGB JPEG, or as 8-bit RGBA PNG when
// it has transparent pixels: the two forms gofpdf's parsers handle.
func encodeImage(img image.Image) ([]byte, string, error) {
	b := img.Bounds()
	var buf bytes.Buffer
	if opaque(img) {
		rgba := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
		draw.Draw(rgba, rgba.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
		draw.Draw(rgba, rgba.Bounds(), img, b.Min, draw.Over)
		if err := jpeg.Encode(&buf, rgba, &jpeg.Options{Quality: 88}); err != nil {
			return nil, "", err
		}
		return buf.Bytes(), "JPG", nil
	}
	nrgba := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(nrgba, nrgba.Bounds(), img, b.Min, draw.Src)
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, nrgba); err != nil {
		return nil, "", err
	}
	return buf.Bytes(), "PNG", nil
}

func opaque(img image.Image) bool {
	if o, ok := img.(interface{ Opaque() bool }); ok {
		return o.Opaque()
	}
	return false
}
