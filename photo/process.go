package photo

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	stddraw "image/draw"
	"image/jpeg"
	"image/png"

	"golang.org/x/image/draw"
)

// Output sizes and quality of re-encoded photos.
const (
	// MaxSide is the long side of a re-encoded photo: enough to read a
	// gauge or a batch label on the dashboard or a brief page, and a
	// fraction of a 12 MP original's bytes (Redis keeps them in memory).
	MaxSide = 2048
	// ThumbSide is the long side of a thumbnail.
	ThumbSide = 320
	// Quality is the JPEG quality of both.
	Quality = 82
)

// Processed is a photo re-encoded for serving: JPEG, upright, at most
// MaxSide, and nothing but pixels (no EXIF, GPS, ICC profile, comments:
// image/jpeg writes none).
type Processed struct {
	Full          []byte
	Thumb         []byte
	Width, Height int // of Full
}

// Process checks orig (Check), decodes it, applies its EXIF orientation,
// scales it to at most MaxSide and re-encodes it, with a ThumbSide
// thumbnail. A PNG's transparency is composited over white. Errors: *Error
// for what Check refuses and for pixels that do not decode (CodeCorrupt).
func Process(orig []byte) (Processed, error) {
	info, err := Check(orig)
	if err != nil {
		return Processed{}, err
	}
	var src image.Image
	orient := 1
	switch info.Format {
	case JPEG:
		orient = Orientation(orig)
		src, err = jpeg.Decode(bytes.NewReader(orig))
	case PNG:
		src, err = png.Decode(bytes.NewReader(orig))
	}
	if err != nil {
		return Processed{}, &Error{Code: CodeCorrupt, Detail: err.Error()}
	}

	// Scale first (in the stored orientation), then turn the smaller image.
	full := reduce(src, MaxSide)
	full = orient8(full, orient)

	var out Processed
	out.Width, out.Height = full.Bounds().Dx(), full.Bounds().Dy()
	if out.Full, err = encode(full); err != nil {
		return Processed{}, err
	}
	tw, th := fit(out.Width, out.Height, ThumbSide)
	if out.Thumb, err = encode(scale(reduce(full, 2*ThumbSide), tw, th)); err != nil {
		return Processed{}, err
	}
	return out, nil
}

// reduce returns img with its long side at most side, shrunk by the
// smallest whole factor that gets there, each output pixel the average of
// a k×k box (cheap, and free of the aliasing of point sampling); a JPEG's
// YCbCr is read directly, without an intermediate full-size RGBA. An
// image already small enough comes back as it is when the JPEG encoder
// can take it, else converted (a PNG flattened over white).
func reduce(img image.Image, side int) image.Image {
	b := img.Bounds()
	long := max(b.Dx(), b.Dy())
	k := (long + side - 1) / side
	switch src := img.(type) {
	case *image.YCbCr:
		if k <= 1 {
			return src
		}
		return boxYCbCr(src, k)
	case *image.RGBA:
		if k <= 1 {
			return src
		}
		return boxRGBA(src, k)
	case *image.Gray:
		if k <= 1 {
			return src
		}
	}
	w, h := fit(b.Dx(), b.Dy(), side)
	return scale(img, w, h)
}

// boxYCbCr shrinks src by k in both directions into RGBA.
func boxYCbCr(src *image.YCbCr, k int) *image.RGBA {
	b := src.Bounds()
	w, h := b.Dx()/k, b.Dy()/k
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	n := uint32(k * k)
	for dy := 0; dy < h; dy++ {
		for dx := 0; dx < w; dx++ {
			var sy, scb, scr uint32
			x0, y0 := b.Min.X+dx*k, b.Min.Y+dy*k
			for y := y0; y < y0+k; y++ {
				yi := src.YOffset(x0, y)
				for x := 0; x < k; x++ {
					sy += uint32(src.Y[yi+x])
				}
				for x := x0; x < x0+k; x++ {
					ci := src.COffset(x, y)
					scb += uint32(src.Cb[ci])
					scr += uint32(src.Cr[ci])
				}
			}
			r, g, bl := color.YCbCrToRGB(uint8(sy/n), uint8(scb/n), uint8(scr/n))
			i := dst.PixOffset(dx, dy)
			dst.Pix[i], dst.Pix[i+1], dst.Pix[i+2], dst.Pix[i+3] = r, g, bl, 0xFF
		}
	}
	return dst
}

// boxRGBA shrinks src by k in both directions.
func boxRGBA(src *image.RGBA, k int) *image.RGBA {
	b := src.Bounds()
	w, h := b.Dx()/k, b.Dy()/k
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	n := uint32(k * k)
	for dy := 0; dy < h; dy++ {
		for dx := 0; dx < w; dx++ {
			var s [4]uint32
			for y := 0; y < k; y++ {
				i := src.PixOffset(b.Min.X+dx*k, b.Min.Y+dy*k+y)
				for x := 0; x < k; x++ {
					p := src.Pix[i+4*x : i+4*x+4 : i+4*x+4]
					s[0] += uint32(p[0])
					s[1] += uint32(p[1])
					s[2] += uint32(p[2])
					s[3] += uint32(p[3])
				}
			}
			i := dst.PixOffset(dx, dy)
			dst.Pix[i], dst.Pix[i+1], dst.Pix[i+2], dst.Pix[i+3] = uint8(s[0]/n), uint8(s[1]/n), uint8(s[2]/n), uint8(s[3]/n)
		}
	}
	return dst
}

// fit returns w×h scaled down (never up) so that the long side is at most side.
func fit(w, h, side int) (int, int) {
	long := max(w, h)
	if long <= side {
		return w, h
	}
	return max(1, (w*side+long/2)/long), max(1, (h*side+long/2)/long)
}

// opaqueEncodable reports whether img can go to the JPEG encoder as it is:
// a decoded JPEG (YCbCr or gray) has no transparency to flatten.
func opaqueEncodable(img image.Image) bool {
	switch img.(type) {
	case *image.YCbCr, *image.Gray:
		return true
	}
	return false
}

// scale draws src scaled to w×h over white (flattening transparency). The
// kernel is bilinear, scaled to the ratio (x/image/draw widens its support
// when shrinking), so a big reduction averages rather than skips pixels.
func scale(src image.Image, w, h int) *image.RGBA {
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	op := draw.Src
	if !opaqueEncodable(src) {
		for i := range dst.Pix {
			dst.Pix[i] = 0xFF
		}
		op = draw.Over
	}
	draw.BiLinear.Scale(dst, dst.Bounds(), src, src.Bounds(), op, nil)
	return dst
}

// toRGBA converts an opaque image to RGBA (image/draw's fast paths).
func toRGBA(src image.Image) *image.RGBA {
	b := src.Bounds()
	dst := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	stddraw.Draw(dst, dst.Bounds(), src, b.Min, stddraw.Src)
	return dst
}

// orient8 returns img turned and mirrored as EXIF orientation o says, so
// that it displays upright without the tag.
func orient8(img image.Image, o int) image.Image {
	if o <= 1 || o > 8 {
		return img
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	dw, dh := w, h
	if o >= 5 {
		dw, dh = h, w
	}
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	src, fast := img.(*image.RGBA)
	if !fast {
		src, fast = toRGBA(img), true
		b = src.Bounds()
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var dx, dy int
			switch o {
			case 2:
				dx, dy = w-1-x, y
			case 3:
				dx, dy = w-1-x, h-1-y
			case 4:
				dx, dy = x, h-1-y
			case 5:
				dx, dy = y, x
			case 6:
				dx, dy = h-1-y, x
			case 7:
				dx, dy = h-1-y, w-1-x
			case 8:
				dx, dy = y, w-1-x
			}
			d := dst.PixOffset(dx, dy)
			if fast {
				s := src.PixOffset(b.Min.X+x, b.Min.Y+y)
				copy(dst.Pix[d:d+4], src.Pix[s:s+4])
				continue
			}
			c := color.RGBAModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.RGBA)
			dst.Pix[d], dst.Pix[d+1], dst.Pix[d+2], dst.Pix[d+3] = c.R, c.G, c.B, c.A
		}
	}
	return dst
}

func encode(img image.Image) ([]byte, error) {
	var buf bytes.Buffer
	b := img.Bounds()
	buf.Grow(b.Dx() * b.Dy() / 4)
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: Quality}); err != nil {
		return nil, fmt.Errorf("encode jpeg: %w", err)
	}
	return buf.Bytes(), nil
}
