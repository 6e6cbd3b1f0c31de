package photo

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"testing"
)

// photoLike is a w×h picture with gradients and noise, which encodes to
// about the bytes per pixel of a real photo (flat colours would be far
// cheaper to code than what phones send).
func photoLike(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	rng := rand.New(rand.NewPCG(1, 2))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			n := uint8(rng.IntN(10))
			i := img.PixOffset(x, y)
			img.Pix[i] = uint8(x*255/w) + n
			img.Pix[i+1] = uint8(y*255/h) + n
			img.Pix[i+2] = uint8((x+y)*127/(w+h)) + n
			img.Pix[i+3] = 0xFF
		}
	}
	return img
}

func mustJPEG(tb testing.TB, img image.Image, q int) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: q}); err != nil {
		tb.Fatalf("jpeg.Encode: %v", err)
	}
	return buf.Bytes()
}

func mustPNG(tb testing.TB, img image.Image) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		tb.Fatalf("png.Encode: %v", err)
	}
	return buf.Bytes()
}

// halves is a w×h image whose top half is top and bottom half bottom.
func halves(w, h int, top, bottom color.RGBA) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		c := top
		if y >= h/2 {
			c = bottom
		}
		for x := 0; x < w; x++ {
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

// exifSegment is an APP1 Exif segment (marker included) with IFD0 holding
// the orientation (0 leaves it out), an ImageDescription and a pointer to
// a GPS IFD with latitude and longitude, little-endian.
func exifSegment(orientation int, description string) []byte {
	le := binary.LittleEndian
	var t []byte
	t = append(t, 'I', 'I', 42, 0, 8, 0, 0, 0) // header, IFD0 at 8
	type entry struct {
		tag, typ uint16
		n, v     uint32
	}
	desc := append([]byte(description), 0)
	var ifd0 []entry
	if orientation > 0 {
		ifd0 = append(ifd0, entry{0x0112, 3, 1, uint32(orientation)})
	}
	n0 := len(ifd0) + 2
	ifd0End := 8 + 2 + 12*n0 + 4
	descOff := ifd0End
	gpsOff := descOff + len(desc)
	ifd0 = append(ifd0, entry{0x010E, 2, uint32(len(desc)), uint32(descOff)}, entry{0x8825, 4, 1, uint32(gpsOff)})
	putIFD := func(es []entry) {
		t = le.AppendUint16(t, uint16(len(es)))
		for _, e := range es {
			t = le.AppendUint16(t, e.tag)
			t = le.AppendUint16(t, e.typ)
			t = le.AppendUint32(t, e.n)
			t = le.AppendUint32(t, e.v)
		}
		t = le.AppendUint32(t, 0) // no next IFD
	}
	putIFD(ifd0)
	t = append(t, desc...)
	// GPS IFD: LatitudeRef "N", Latitude (3 rationals), LongitudeRef "E", Longitude.
	gpsEntries := 4
	ratOff := gpsOff + 2 + 12*gpsEntries + 4
	putIFD([]entry{
		{0x0001, 2, 2, uint32('N')},
		{0x0002, 5, 3, uint32(ratOff)},
		{0x0003, 2, 2, uint32('E')},
		{0x0004, 5, 3, uint32(ratOff + 24)},
	})
	for _, v := range []uint32{40, 1, 39, 1, 1234, 100, 109, 1, 50, 1, 4321, 100} {
		t = le.AppendUint32(t, v)
	}
	seg := append([]byte("Exif\x00\x00"), t...)
	out := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(out[2:], uint16(len(seg)+2))
	return append(out, seg...)
}

// withSegment inserts seg right after a JPEG's SOI marker.
func withSegment(jpg, seg []byte) []byte {
	out := append([]byte{}, jpg[:2]...)
	out = append(out, seg...)
	return append(out, jpg[2:]...)
}

// pngHeaderOnly is a PNG signature and IHDR chunk declaring w×h RGBA
// pixels, with no image data: what a decompression bomb's header says.
func pngHeaderOnly(w, h uint32) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 6, 0, 0, 0) // 8-bit RGBA
	chunk := binary.BigEndian.AppendUint32(nil, uint32(len(ihdr)))
	body := append([]byte("IHDR"), ihdr...)
	chunk = append(chunk, body...)
	chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(body))
	return append([]byte("\x89PNG\r\n\x1a\n"), chunk...)
}

// heicHeader is the start of an iPhone HEIC file.
func heicHeader() []byte {
	return append([]byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"), make([]byte, 64)...)
}
