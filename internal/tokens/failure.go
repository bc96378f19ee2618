package tokens

// Failure is an error written for people: Msg says in one plain sentence
// what did not happen and which command to run next; Cause is the
// underlying error in Go's or the provider's words ("context canceled",
// "dial tcp ...: connection refused"), which tok shows only under --debug.
// Kind, when set, is the sentinel callers test with errors.Is, such as
// ErrLoginRequired.
type Failure struct {
	Kind  error
	Msg   string
	Cause error
}

func (f *Failure) Error() string { return f.Msg }

func (f *Failure) Unwrap() []error {
	var out []error
	for _, e := range []error{f.Kind, f.Cause} {
		if e != nil {
			out = append(out, e)
		}
	}
	return out
}

// DebugCause is the cause tok prints under --debug (plan.Print).
func (f *Failure) DebugCause() error { return f.Cause }
