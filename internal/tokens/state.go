package tokens

import "github.com/tok-cli/tok/internal/record"

// canRenew reports whether tok can get a new token without a person.
func canRenew(p *Profile, s *record.State) bool { return record.CanRenew(p.Policy(), s) }
