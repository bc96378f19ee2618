package profilefile

import (
	"strings"

	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/tokens"
)

// validate checks one profile by tok profile add's rules
// (tokens.CheckProfileSpec), naming each problem's key and line. Single
// values (type, flow, env names, federation) were parsed while decoding;
// lines maps each key given to its line.
func (d *decoder) validate(p *Profile, where string, line int, lines map[string]int) {
	at := func(key string) int {
		key, _, _ = strings.Cut(key, ".") // a nested key is on its parent's line
		if l, ok := lines[key]; ok {
			return l
		}
		return line
	}
	_, named := lines["name"]
	if !named {
		d.failf(line, "%shas no name; add name: followed by 1-64 letters, digits, '.', '_' or '-'", where)
	}
	if _, ok := lines["type"]; !ok {
		d.failf(line, "%shas no type; add type: static, oauth or federated", where)
		return
	}
	if p.Type == "" {
		return // its problem is recorded
	}
	if _, ok := lines["client_secret_required"]; ok && p.Type == record.Static {
		d.failf(at("client_secret_required"), "%sclient_secret_required applies to oauth and federated profiles only, and this one is static", where)
	}
	for _, e := range tokens.CheckProfileSpec(p.Spec()) {
		if e.Field == "name" && (!named || p.Name == "") {
			continue // its problem is recorded
		}
		d.failf(at(e.Field), "%s%s", where, e.Error())
	}
}
