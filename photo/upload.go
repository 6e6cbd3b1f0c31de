// Package photo is what happens to a reporter's photos on the server: the
// upload check (type by magic bytes, size, pixel count read from the header
// before anything is decoded), the storage of their bytes behind a small
// interface (files in the data directory, records in Redis; object storage
// later), and the photo job that applies the EXIF orientation, re-encodes
// them without any metadata, makes thumbnails and deletes the originals.
package photo

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // DecodeConfig for JPEG
	_ "image/png"  // DecodeConfig for PNG
)

// Limits of an upload.
const (
	// MaxBytes bounds one photo as uploaded.
	MaxBytes = 10 << 20
	// MaxPhotos bounds the photos of one report.
	MaxPhotos = 3
	// MaxPixels bounds width × height, read from the header (DecodeConfig)
	// before any decode: a small file that declares a huge image (a
	// decompression bomb) is refused without allocating it.
	MaxPixels = 40_000_000
	// MaxDecodedBytes bounds the memory a decode of one photo takes (width ×
	// height × bytes per pixel of its colour model): a 40 MP 16-bit RGBA
	// PNG would need 320 MB.
	MaxDecodedBytes = 4 * MaxPixels
)

// Format is an accepted image format.
type Format string

// Accepted formats.
const (
	JPEG Format = "jpeg"
	PNG  Format = "png"
)

// Problem codes of an upload; the HTTP layer turns each into a message in
// the reporter's language.
const (
	CodeType      = "photo_type"       // neither JPEG nor PNG
	CodeHEIC      = "photo_heic"       // HEIC/HEIF (iPhone default): not accepted, say how to change it
	CodeTooLarge  = "photo_too_large"  // more than MaxBytes
	CodeTooMany   = "photo_too_many"   // more than MaxPhotos
	CodeTooBig    = "photo_pixels"     // more than MaxPixels (or MaxDecodedBytes)
	CodeCorrupt   = "photo_corrupt"    // the header cannot be read
	CodeEmptyFile = "photo_empty_file" // a part without bytes
)

// Error is an upload refused for a reason the reporter can act on.
type Error struct {
	Code string // one of the Code* constants
	// Index is the 0-based position of the photo in the submission.
	Index  int
	Detail string
}

func (e *Error) Error() string {
	s := fmt.Sprintf("photo %d: %s", e.Index+1, e.Code)
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// Info is what Check learnt about an upload.
type Info struct {
	Format        Format
	Width, Height int
}

// Sniff names the format of b by its magic bytes, whatever the client
// declared: JPEG, PNG, or an *Error (CodeHEIC for HEIC/HEIF, CodeType
// otherwise).
func Sniff(b []byte) (Format, error) {
	switch {
	case len(b) == 0:
		return "", &Error{Code: CodeEmptyFile}
	case len(b) >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF:
		return JPEG, nil
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return PNG, nil
	case isHEIF(b):
		return "", &Error{Code: CodeHEIC}
	}
	return "", &Error{Code: CodeType}
}

// isHEIF reports an ISO-BMFF file ("ftyp" box first) whose brand is one of
// HEIF's (HEIC, HEIF, AVIF image sequences included): what iPhones take by
// default.
func isHEIF(b []byte) bool {
	if len(b) < 12 || string(b[4:8]) != "ftyp" {
		return false
	}
	switch string(b[8:12]) {
	case "heic", "heix", "heim", "heis", "hevc", "hevx", "mif1", "msf1", "avif", "avis":
		return true
	}
	return false
}

// Check validates one uploaded photo: at most MaxBytes, JPEG or PNG by its
// magic bytes, a readable header declaring at most MaxPixels (and at most
// MaxDecodedBytes once decoded). Nothing is decoded. Errors are *Error.
func Check(b []byte) (Info, error) {
	if len(b) > MaxBytes {
		return Info{}, &Error{Code: CodeTooLarge}
	}
	f, err := Sniff(b)
	if err != nil {
		return Info{}, err
	}
	cfg, kind, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return Info{}, &Error{Code: CodeCorrupt, Detail: err.Error()}
	}
	if kind != string(f) {
		return Info{}, &Error{Code: CodeCorrupt, Detail: "decoded as " + kind}
	}
	w, h := int64(cfg.Width), int64(cfg.Height)
	if w <= 0 || h <= 0 {
		return Info{}, &Error{Code: CodeCorrupt, Detail: "no pixels"}
	}
	if w*h > MaxPixels || w*h*int64(bytesPerPixel(cfg.ColorModel)) > MaxDecodedBytes {
		return Info{}, &Error{Code: CodeTooBig, Detail: fmt.Sprintf("%d×%d", w, h)}
	}
	return Info{Format: f, Width: cfg.Width, Height: cfg.Height}, nil
}

// bytesPerPixel is what a decoded image of model m holds per pixel (the
// decoders' in-memory layouts; YCbCr counted as 4:4:4, its worst case).
func bytesPerPixel(m color.Model) int {
	switch m {
	case color.GrayModel, color.AlphaModel:
		return 1
	case color.Gray16Model, color.Alpha16Model:
		return 2
	case color.YCbCrModel:
		return 3
	case color.RGBA64Model, color.NRGBA64Model:
		return 8
	}
	if _, ok := m.(color.Palette); ok {
		return 1
	}
	return 4 // RGBA, NRGBA, CMYK
}

// IsError reports whether err is an upload *Error, and returns it.
func IsError(err error) (*Error, bool) {
	var pe *Error
	ok := errors.As(err, &pe)
	return pe, ok
}
