package photo

import "encoding/binary"

// Orientation returns the EXIF orientation (1–8) of a JPEG: the tag 0x0112
// of IFD0 in its APP1 "Exif" segment. It returns 1 (upright) when there is
// no such tag or the segment is malformed; it never reads outside b.
//
// The values (TIFF 6.0): 1 upright, 2 mirrored left–right, 3 rotated 180°,
// 4 mirrored top–bottom, 5 transposed, 6 rotated 90° clockwise to view
// (the camera was held upright, sensor turned), 7 transversed, 8 rotated
// 90° counter-clockwise to view.
func Orientation(b []byte) int {
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		return 1
	}
	i := 2
	for i+4 <= len(b) {
		if b[i] != 0xFF {
			return 1
		}
		marker := b[i+1]
		switch {
		case marker == 0xFF: // fill byte
			i++
			continue
		case marker == 0xD8 || marker == 0x01 || marker >= 0xD0 && marker <= 0xD7:
			i += 2 // no length
			continue
		case marker == 0xDA || marker == 0xD9: // start of scan, end of image: no more metadata
			return 1
		}
		n := int(binary.BigEndian.Uint16(b[i+2:]))
		if n < 2 || i+2+n > len(b) {
			return 1
		}
		seg := b[i+4 : i+2+n]
		if marker == 0xE1 && len(seg) >= 6 && string(seg[:6]) == "Exif\x00\x00" {
			if o, ok := tiffOrientation(seg[6:]); ok {
				return o
			}
		}
		i += 2 + n
	}
	return 1
}

// tiffOrientation reads the orientation tag of IFD0 of a TIFF structure.
func tiffOrientation(t []byte) (int, bool) {
	if len(t) < 8 {
		return 0, false
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 0, false
	}
	if bo.Uint16(t[2:]) != 42 {
		return 0, false
	}
	off := uint64(bo.Uint32(t[4:]))
	if off+2 > uint64(len(t)) {
		return 0, false
	}
	count := uint64(bo.Uint16(t[off:]))
	for k := uint64(0); k < count; k++ {
		e := off + 2 + 12*k
		if e+12 > uint64(len(t)) {
			return 0, false
		}
		if bo.Uint16(t[e:]) != 0x0112 {
			continue
		}
		typ, n := bo.Uint16(t[e+2:]), bo.Uint32(t[e+4:])
		if typ != 3 || n != 1 { // SHORT, one value, stored in the entry
			return 0, false
		}
		v := int(bo.Uint16(t[e+8:]))
		if v < 1 || v > 8 {
			return 0, false
		}
		return v, true
	}
	return 0, false
}
