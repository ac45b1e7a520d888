package plan

// Layer is where a value was set. The settings' layers come from weakest to strongest, so a
// stronger one compares greater: a default, a profile of the AWS shared files, a rolehop.hcl
// file, an environment variable, a flag.
// An auth provider's answers come last: they are applied on top of the settings.
type Layer int

// The layers a value may come from.
const (
	FromDefault Layer = iota
	FromProfile
	FromFile
	FromEnv
	FromFlag
	FromProvider
)

// Origin says where a value came from, for messages and `rolehop config`.
type Origin struct {
	Layer Layer
	// Name is the flag ("--duration"), the variable ("ROLEHOP_DURATION"), the file position
	// ("rolehop.hcl:4"), the profile's section and key ("~/.aws/config [profile dev] role_arn")
	// or the auth provider and its field ("flag --auth-provider-cmd: auth
	// provider ./p.sh awsRole.duration"). A default may have one that says more than "default"
	// ("found from the working directory up").
	Name string
	// Dir is the directory relative paths in the value are taken from: the file's directory for
	// file values, empty (the working directory) otherwise.
	Dir string
}

// Explicit reports whether the value was set, in any layer, rather than left to its default.
func (o Origin) Explicit() bool {
	return o.Layer != FromDefault
}

// String names the origin the way messages and `rolehop config` show it: "flag --duration",
// "env ROLEHOP_DURATION", "rolehop.hcl:4", the auth provider's field, or "default".
func (o Origin) String() string {
	switch o.Layer {
	case FromFlag:
		return "flag " + o.Name
	case FromEnv:
		return "env " + o.Name
	case FromFile, FromProfile, FromProvider:
		return o.Name
	}
	if o.Name != "" {
		return o.Name
	}
	return "default"
}
