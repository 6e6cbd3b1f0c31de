package plant

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// MaxStationID bounds a station id (it is stored in reports' station
// field, which holds at most 100 characters).
const MaxStationID = 100

// Station is a place along a line, named in both languages like lines.
// Its ID is what a report stores in its station field.
//
// The plant file takes either form in a line's stations list:
//
//	stations:
//	  - 皂化                                          # plain: id and name in one (the old form)
//	  - {name: {zh: 混合澄清槽 A, en: Mixer-settler A}} # id defaults to the zh name (else en)
//	  - {id: strip, name: {zh: 反萃, en: Stripping}}
//
// Defaulting the id to the Chinese name keeps reports stored before
// stations had two names pointing at their station.
type Station struct {
	ID   string `yaml:"id" json:"id"`
	Name Name   `yaml:"name" json:"name"`
}

// UnmarshalYAML decodes a plain string or a mapping of id and name,
// strictly: another key (a misspelt "nmae:") is an error with its line.
func (s *Station) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		var v string
		if err := n.Decode(&v); err != nil {
			return err
		}
		*s = Station{ID: v, Name: Name{ZH: v, EN: v}}
		return nil
	case yaml.MappingNode:
	default:
		return fmt.Errorf("line %d: a station is a name or {id, name: {zh, en}}", n.Line)
	}
	var out Station
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch k.Value {
		case "id":
			if err := v.Decode(&out.ID); err != nil {
				return err
			}
		case "name":
			if err := decodeName(v, &out.Name); err != nil {
				return err
			}
		default:
			return fmt.Errorf("line %d: field %s not found in type plant.Station (a station has id and name)", k.Line, k.Value)
		}
	}
	if out.ID == "" {
		out.ID = out.Name.ZH
		if out.ID == "" {
			out.ID = out.Name.EN
		}
	}
	*s = out
	return nil
}

// decodeName decodes {zh, en} strictly.
func decodeName(n *yaml.Node, out *Name) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: a name is {zh: …, en: …}", n.Line)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch k.Value {
		case "zh":
			if err := v.Decode(&out.ZH); err != nil {
				return err
			}
		case "en":
			if err := v.Decode(&out.EN); err != nil {
				return err
			}
		default:
			return fmt.Errorf("line %d: field %s not found in type plant.Name (zh or en)", k.Line, k.Value)
		}
	}
	return nil
}

// Station returns the line's station with id.
func (l Line) Station(id string) (Station, bool) {
	for _, s := range l.Stations {
		if s.ID == id {
			return s, true
		}
	}
	return Station{}, false
}

// StationIDs lists the ids of the line's stations, in order.
func (l Line) StationIDs() []string {
	out := make([]string, len(l.Stations))
	for i, s := range l.Stations {
		out[i] = s.ID
	}
	return out
}

// validateStations checks a line's stations: each with an id of at most
// MaxStationID printable characters, unique on the line.
func validateStations(i int, l Line) error {
	seen := map[string]bool{}
	for j, s := range l.Stations {
		switch {
		case strings.TrimSpace(s.ID) == "":
			return fmt.Errorf("lines[%d] (%s): stations[%d] needs a name or an id", i, l.ID, j)
		case utf8.RuneCountInString(s.ID) > MaxStationID:
			return fmt.Errorf("lines[%d] (%s): stations[%d] id %q is longer than %d characters", i, l.ID, j, s.ID, MaxStationID)
		case strings.IndexFunc(s.ID, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0:
			return fmt.Errorf("lines[%d] (%s): stations[%d] id %q has a control character", i, l.ID, j, s.ID)
		case s.ID != strings.TrimSpace(s.ID):
			return fmt.Errorf("lines[%d] (%s): stations[%d] id %q has leading or trailing spaces", i, l.ID, j, s.ID)
		case seen[s.ID]:
			return fmt.Errorf("lines[%d] (%s): duplicate station %q", i, l.ID, s.ID)
		}
		seen[s.ID] = true
	}
	return nil
}
