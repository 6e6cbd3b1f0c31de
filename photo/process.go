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
	// The thumbnail is made from the full image while that is encoded
	// (both only read it): a photo job takes the time of the longer one.
	tw, th := fit(out.Width, out.Height, ThumbSide)
	var thumbErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		out.Thumb, thumbErr = encode(scale(reduce(full, 2*ThumbSide), tw, th))
	}()
	out.Full, err = encode(full)
	<-done
	if err != nil {
		return Processed{}, err
	}
	if thumbErr != nil {
		return Processed{}, thumbErr
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
	hs, vs := chromaShift(src.SubsampleRatio)
	cx0, cy0 := b.Min.X>>hs, b.Min.Y>>vs
	n := uint32(k * k)
	for dy := 0; dy < h; dy++ {
		y0 := b.Min.Y + dy*k
		for dx := 0; dx < w; dx++ {
			var sy, scb, scr uint32
			x0 := b.Min.X + dx*k
			for y := y0; y < y0+k; y++ {
				yi := (y-b.Min.Y)*src.YStride + (x0 - b.Min.X)
				ci := ((y >> vs) - cy0) * src.CStride
				row := src.Y[yi : yi+k : yi+k]
				for x := range row {
					sy += uint32(row[x])
					c := ci + ((x0 + x) >> hs) - cx0
					scb += uint32(src.Cb[c])
					scr += uint32(src.Cr[c])
				}
			}
			r, g, bl := color.YCbCrToRGB(uint8(sy/n), uint8(scb/n), uint8(scr/n))
			i := dst.PixOffset(dx, dy)
			dst.Pix[i], dst.Pix[i+1], dst.Pix[i+2], dst.Pix[i+3] = r, g, bl, 0xFF
		}
	}
	return dst
}

// chromaShift is the log2 of a subsample ratio's horizontal and vertical
// chroma subsampling.
func chromaShift(r image.YCbCrSubsampleRatio) (hs, vs int) {
	switch r {
	case image.YCbCrSubsampleRatio422:
		return 1, 0
	case image.YCbCrSubsampleRatio420:
		return 1, 1
	case image.YCbCrSubsampleRatio440:
		return 0, 1
	case image.YCbCrSubsampleRatio411:
		return 2, 0
	case image.YCbCrSubsampleRatio410:
		return 2, 1
	}
	return 0, 0
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
	src, ok := img.(*image.RGBA)
	if !ok {
		src = toRGBA(img)
		b = src.Bounds()
	}
	// Source pixel (x, y) goes to dst (dx, dy) = (ax·x + bx·y + cx, ay·x + by·y + cy).
	var ax, bx, cx, ay, by, cy int
	switch o {
	case 2:
		ax, cx, by = -1, w-1, 1
	case 3:
		ax, cx, by, cy = -1, w-1, -1, h-1
	case 4:
		ax, by, cy = 1, -1, h-1
	case 5:
		bx, ay = 1, 1
	case 6:
		bx, cx, ay = -1, h-1, 1
	case 7:
		bx, cx, ay, cy = -1, h-1, -1, w-1
	case 8:
		bx, ay, cy = 1, -1, w-1
	}
	step := 4*ax + dst.Stride*ay // dst offset change per source x
	for y := 0; y < h; y++ {
		d := dst.PixOffset(bx*y+cx, by*y+cy)
		s := src.PixOffset(b.Min.X, b.Min.Y+y)
		row := src.Pix[s : s+4*w : s+4*w]
		for x := 0; x < len(row); x += 4 {
			copy(dst.Pix[d:d+4:d+4], row[x:x+4:x+4])
			d += step
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
