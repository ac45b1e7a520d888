package settings

// Kind tells which layer a value came from.
type Kind int

// The layers, from weakest to strongest.
const (
	Default Kind = iota
	File
	Env
	Flag
)

// Source says where a setting's value came from.
type Source struct {
	Kind Kind
	// Name is the flag ("--duration"), the variable ("ROLEHOP_DURATION") or the file position
	// ("rolehop.hcl:4"); empty for defaults.
	Name string
	// Dir is the directory relative paths in the value are taken from: the file's directory for
	// file values, empty (the working directory) otherwise.
	Dir string
}

// String names the source the way messages and `rolehop config` show it: "flag --duration",
// "env ROLEHOP_DURATION", "rolehop.hcl:4" or "default".
func (s Source) String() string {
	switch s.Kind {
	case Flag:
		return "flag " + s.Name
	case Env:
		return "env " + s.Name
	case File:
		return s.Name
	}
	if s.Name != "" {
		return s.Name
	}
	return "default"
}
