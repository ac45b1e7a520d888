package authprovider_test

import (
	"bytes"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rolehop/rolehop/internal/authprovider"
)

// secretMarker is in every secret value of the test inputs, and must be in no error.
const secretMarker = "s3cr3t"

// validOutputs are outputs an auth provider may print, with what they say.
var validOutputs = []struct {
	name    string
	output  string
	want    *authprovider.Result
	objects []string
}{
	{
		name:   "credentials",
		output: `{"awsCredentials": {"ACCESS_KEY_ID": "AKIDs3cr3t", "SECRET_ACCESS_KEY": "keys3cr3t", "SESSION_TOKEN": "tokens3cr3t"}}`,
		want: &authprovider.Result{Credentials: &authprovider.Credentials{
			AccessKeyID: "AKIDs3cr3t", SecretAccessKey: "keys3cr3t", SessionToken: "tokens3cr3t",
		}},
		objects: []string{"awsCredentials"},
	},
	{
		name:   "credentials without a session token",
		output: `{"awsCredentials": {"ACCESS_KEY_ID": "AKIDs3cr3t", "SECRET_ACCESS_KEY": "keys3cr3t"}}`,
		want: &authprovider.Result{Credentials: &authprovider.Credentials{
			AccessKeyID: "AKIDs3cr3t", SecretAccessKey: "keys3cr3t",
		}},
		objects: []string{"awsCredentials"},
	},
	{
		name:   "credentials with an empty or null session token",
		output: `{"awsCredentials": {"ACCESS_KEY_ID": "AKIDs3cr3t", "SECRET_ACCESS_KEY": "keys3cr3t", "SESSION_TOKEN": ""}}`,
		want: &authprovider.Result{Credentials: &authprovider.Credentials{
			AccessKeyID: "AKIDs3cr3t", SecretAccessKey: "keys3cr3t",
		}},
		objects: []string{"awsCredentials"},
	},
	{
		name:    "role only",
		output:  `{"awsRole": {"roleARN": "arn:aws:iam::111111111111:role/deploy"}}`,
		want:    &authprovider.Result{Role: &authprovider.Role{ARN: "arn:aws:iam::111111111111:role/deploy"}},
		objects: []string{"awsRole"},
	},
	{
		name: "role with everything",
		output: `{"awsRole": {"roleARN": "arn:aws:iam::111111111111:role/ci", "sessionName": "ci-42",
			"duration": 900, "webIdentityToken": "eyJs3cr3t"}}`,
		want: &authprovider.Result{Role: &authprovider.Role{
			ARN: "arn:aws:iam::111111111111:role/ci", SessionName: "ci-42",
			Duration: 15 * time.Minute, WebIdentityToken: "eyJs3cr3t",
		}},
		objects: []string{"awsRole"},
	},
	{
		name:    "role with a web identity token file",
		output:  `{"awsRole": {"roleARN": "arn:aws:iam::111111111111:role/ci", "webIdentityToken": "/run/token"}}`,
		want:    &authprovider.Result{Role: &authprovider.Role{ARN: "arn:aws:iam::111111111111:role/ci", WebIdentityToken: "/run/token"}},
		objects: []string{"awsRole"},
	},
	{
		name:    "roleSessionName, as Terragrunt reads it",
		output:  `{"awsRole": {"roleARN": "arn:aws:iam::111111111111:role/a", "roleSessionName": "jane"}}`,
		want:    &authprovider.Result{Role: &authprovider.Role{ARN: "arn:aws:iam::111111111111:role/a", SessionName: "jane"}},
		objects: []string{"awsRole"},
	},
	{
		name:    "empty and null optional fields",
		output:  `{"awsRole": {"roleARN": "a", "sessionName": "", "duration": null, "webIdentityToken": ""}}`,
		want:    &authprovider.Result{Role: &authprovider.Role{ARN: "a"}},
		objects: []string{"awsRole"},
	},
	{
		name:    "duration written as a decimal or with an exponent",
		output:  `{"awsRole": {"roleARN": "a", "duration": 3.6e3}}`,
		want:    &authprovider.Result{Role: &authprovider.Role{ARN: "a", Duration: time.Hour}},
		objects: []string{"awsRole"},
	},
	{
		name:    "zero duration",
		output:  `{"awsRole": {"roleARN": "a", "duration": 0.0}}`,
		want:    &authprovider.Result{Role: &authprovider.Role{ARN: "a"}},
		objects: []string{"awsRole"},
	},
	{
		name: "both, as Terragrunt documents them",
		output: `{
  "awsCredentials": {
    "ACCESS_KEY_ID": "AKIDs3cr3t",
    "SECRET_ACCESS_KEY": "keys3cr3t",
    "SESSION_TOKEN": "tokens3cr3t"
  },
  "awsRole": {
    "roleARN": "arn:aws:iam::222222222222:role/apply",
    "sessionName": "pipelines",
    "duration": 3600,
    "webIdentityToken": ""
  },
  "envs": {
    "ANY_KEY": "s3cr3t value"
  }
}
`,
		want: &authprovider.Result{
			Credentials: &authprovider.Credentials{AccessKeyID: "AKIDs3cr3t", SecretAccessKey: "keys3cr3t", SessionToken: "tokens3cr3t"},
			Role:        &authprovider.Role{ARN: "arn:aws:iam::222222222222:role/apply", SessionName: "pipelines", Duration: time.Hour},
			Envs:        []authprovider.Env{{Name: "ANY_KEY", Value: "s3cr3t value"}},
		},
		objects: []string{"awsCredentials", "awsRole", "envs"},
	},
	{
		name:   "envs, sorted, null ones left out",
		output: `{"envs": {"TF_VAR_b": "2", "A_FIRST": "", "dropped": null, "_x": "ünïcødé \"quoted\"\n"}}`,
		want: &authprovider.Result{Envs: []authprovider.Env{
			{Name: "A_FIRST", Value: ""}, {Name: "TF_VAR_b", Value: "2"}, {Name: "_x", Value: "ünïcødé \"quoted\"\n"},
		}},
		objects: []string{"envs"},
	},
	{
		name:   "envs whose names differ by case are two variables",
		output: `{"envs": {"foo": "1", "FOO": "2"}}`,
		want: &authprovider.Result{Envs: []authprovider.Env{
			{Name: "FOO", Value: "2"}, {Name: "foo", Value: "1"},
		}},
		objects: []string{"envs"},
	},
	{name: "empty envs", output: `{"envs": {}}`, want: &authprovider.Result{}},
	{name: "empty output", output: "", want: &authprovider.Result{}},
	{name: "blank output", output: " \n\t\r\n", want: &authprovider.Result{}},
	{name: "null", output: "null\n", want: &authprovider.Result{}},
	{name: "empty object", output: "{}", want: &authprovider.Result{}},
	{name: "null objects", output: `{"awsCredentials": null, "awsRole": null, "envs": null}`, want: &authprovider.Result{}},
	{
		name:   "keys in any case",
		output: `{"AWSCREDENTIALS": {"access_key_id": "AKIDs3cr3t", "Secret_Access_Key": "keys3cr3t"}, "awsrole": {"roleArn": "a", "SESSIONNAME": "s", "Duration": 60}, "Envs": {"K": "v"}}`,
		want: &authprovider.Result{
			Credentials: &authprovider.Credentials{AccessKeyID: "AKIDs3cr3t", SecretAccessKey: "keys3cr3t"},
			Role:        &authprovider.Role{ARN: "a", SessionName: "s", Duration: time.Minute},
			Envs:        []authprovider.Env{{Name: "K", Value: "v"}},
		},
		objects: []string{"awsCredentials", "awsRole", "envs"},
	},
}

// invalidOutputs are outputs Parse refuses, with its exact message.
var invalidOutputs = []struct {
	output string
	want   string
}{
	// Not JSON, or not one object.
	{`{`, "invalid JSON at line 1, column 2: unexpected end of input"},
	{`{"awsCredentials": {"ACCESS_KEY_ID": "AKIDs3cr3t", "SECRET_ACCESS_KEY": "keys3cr3t}}`,
		"invalid JSON at line 1, column 85: unexpected end of input"},
	{`{"awsCredentials": {"ACCESS_KEY_ID": s3cr3t}}`,
		"invalid JSON at line 1, column 38: unexpected character looking for beginning of value"},
	{"{\n  \"awsRole\": {\n    \"roleARN\": \"a\",\n  }\n}",
		"invalid JSON at line 4, column 3: unexpected character looking for beginning of object key string"},
	{`{"envs": {"A": "s3cr3t" "B": "x"}}`,
		"invalid JSON at line 1, column 25: unexpected character after object key:value pair"},
	{"{\"envs\": {\"A\": \"s3cr3t\ts3cr3t\"}}",
		"invalid JSON at line 1, column 23: unexpected character in string literal"},
	{`{"envs": {"A": "\s3cr3t"}}`, "invalid JSON at line 1, column 18: unexpected character in string escape code"},
	{`{"awsRole": {"roleARN": "a", "duration": 36s3cr3t}}`,
		"invalid JSON at line 1, column 44: unexpected character after object key:value pair"},
	{"{\"envs\": {\"A\": \"s3cr3t\xff\"}}", "invalid JSON at line 1, column 23: not valid UTF-8"},
	{"\ufeff{}", "invalid JSON at line 1, column 1: unexpected character looking for beginning of value"},
	{`{"envs": {"A": "1"}} {"envs": {"A": "s3cr3t"}}`, "unexpected data after the JSON object at line 1, column 22"},
	{"{}\n}", "unexpected data after the JSON object at line 2, column 1"},
	{`nul`, "invalid JSON at line 1, column 4: unexpected end of input in literal null (expecting 'l')"},
	{strings.Repeat("[", 10001), "invalid JSON at line 1, column 10001: nested too deeply"},
	{`{"envs" "s3cr3t"}`, "invalid JSON at line 1, column 9: unexpected character after object key"},
	{`{"envs": {"A": ["s3cr3t" "x"]}}`, "invalid JSON at line 1, column 26: unexpected character after array element"},
	{`{"envs": {"A": [1,]}}`, "invalid JSON at line 1, column 19: unexpected character looking for beginning of value"},
	{`{"envs": {"A": "s3cr3t",}}`, "invalid JSON at line 1, column 25: unexpected character looking for beginning of object key string"},
	{`{"envs": {"A": "\u12s3cr3t"}}`, `invalid JSON at line 1, column 21: unexpected character in \u hexadecimal character escape`},
	{`{"envs": {"A": "s3cr3t\`, "invalid JSON at line 1, column 24: unexpected end of input in string escape code"},
	{`{"envs": {"A": "s3cr3t\u00`, `invalid JSON at line 1, column 27: unexpected end of input in \u hexadecimal character escape`},
	{`{"awsRole": {"roleARN": "a", "duration": 1.s3cr3t}}`,
		"invalid JSON at line 1, column 44: unexpected character after decimal point in numeric literal"},
	{`{"awsRole": {"roleARN": "a", "duration": 1e}}`, "invalid JSON at line 1, column 44: unexpected character in exponent of numeric literal"},
	{`{"awsRole": {"roleARN": "a", "duration": -s3cr3t}}`, "invalid JSON at line 1, column 43: unexpected character in numeric literal"},
	{`{"awsRole": {"roleARN": "a", "duration": -`, "invalid JSON at line 1, column 43: unexpected end of input in numeric literal"},
	{`{"awsRole": {"roleARN": "a", "duration": 3600`, "invalid JSON at line 1, column 46: unexpected end of input"},
	{`{"awsRole": tru}`, "invalid JSON at line 1, column 16: unexpected character in literal true (expecting 'e')"},
	{`{"envs": {"A": "s3cr3t"}}}`, "unexpected data after the JSON object at line 1, column 26"},
	{`[] {"envs": {"A": "s3cr3t"}}`, "unexpected data after the JSON object at line 1, column 4"},
	{`[]`, "the output must be a JSON object, not an array"},
	{`"AKIDs3cr3t"`, "the output must be a JSON object, not a string"},
	{`true`, "the output must be a JSON object, not a boolean"},

	// Unknown and repeated keys.
	{`{"awsRole": {"rolearn2": "arn:aws:iam::111111111111:role/a"}}`, `awsRole.rolearn2: unknown key; did you mean "roleARN"?`},
	{`{"awsCredential": {}}`, `awsCredential: unknown key; did you mean "awsCredentials"?`},
	{`{"credentials": {}}`, `credentials: unknown key; did you mean "awsCredentials"?`},
	{`{"awsCredentials": {"accessKeyId": "AKIDs3cr3t"}}`, `awsCredentials.accessKeyId: unknown key; did you mean "ACCESS_KEY_ID"?`},
	{`{"awsRole": {"roleARN": "a", "externalId": "s3cr3t"}}`,
		"awsRole.externalId: unknown key; valid keys are roleARN, sessionName, roleSessionName, duration, webIdentityToken"},
	{`{"region": "eu-west-1"}`, "region: unknown key; valid keys are awsCredentials, awsRole, envs"},
	{`{"aws role": {}}`, `"aws role": unknown key; did you mean "awsRole"?`},
	{`{"awsRole": {"roleARN": "a", "roleARN": "b"}}`, "awsRole.roleARN: given twice"},
	{`{"awsRole": {"roleARN": "a", "rolearn": "b"}}`,
		`awsRole.rolearn: given twice (keys match whatever their case; "roleARN" came first)`},
	{`{"envs": {}, "ENVS": {}}`, `ENVS: given twice (keys match whatever their case; "envs" came first)`},
	{`{"awsRole": null, "awsRole": {"roleARN": "a"}}`, "awsRole: given twice"},
	{`{"envs": {"A": "s3cr3t", "A": "s3cr3t"}}`, "envs.A: given twice"},
	{`{"awsRole": {"roleARN": "a", "sessionName": "x", "roleSessionName": "y"}}`,
		"awsRole.roleSessionName: both sessionName and roleSessionName given; give one"},

	// Wrong types.
	{`{"awsRole": "arn:aws:iam::111111111111:role/a"}`, "awsRole: must be an object, not a string"},
	{`{"envs": ["A=s3cr3t"]}`, "envs: must be an object, not an array"},
	{`{"awsCredentials": {"ACCESS_KEY_ID": 1234, "SECRET_ACCESS_KEY": "keys3cr3t"}}`,
		"awsCredentials.ACCESS_KEY_ID: must be a string, not a number"},
	{`{"awsCredentials": {"ACCESS_KEY_ID": "AKIDs3cr3t", "SECRET_ACCESS_KEY": {"value": "keys3cr3t"}}}`,
		"awsCredentials.SECRET_ACCESS_KEY: must be a string, not an object"},
	{`{"awsRole": {"roleARN": "a", "duration": "3600"}}`, "awsRole.duration: must be a number of seconds, not a string"},
	{`{"awsRole": {"roleARN": "a", "duration": true}}`, "awsRole.duration: must be a number of seconds, not a boolean"},
	{`{"awsRole": {"roleARN": "a", "duration": 1.5}}`, "awsRole.duration: must be a whole number of seconds"},
	{`{"awsRole": {"roleARN": "a", "duration": 3600.000000000000000001}}`, "awsRole.duration: must be a whole number of seconds"},
	{`{"awsRole": {"roleARN": "a", "duration": 1e-400}}`, "awsRole.duration: must be a whole number of seconds"},
	{`{"awsRole": {"roleARN": "a", "duration": -60}}`, "awsRole.duration: must not be negative"},
	{`{"awsRole": {"roleARN": "a", "duration": 1e300}}`, "awsRole.duration: too large to be a number of seconds"},
	{`{"awsRole": {"roleARN": "a", "duration": 9223372037}}`, "awsRole.duration: too large to be a number of seconds"},
	{`{"awsRole": {"roleARN": "a", "webIdentityToken": ["s3cr3t"]}}`, "awsRole.webIdentityToken: must be a string, not an array"},
	{`{"envs": {"A": 1}}`, "envs.A: must be a string, not a number"},
	{`{"envs": {"A": false}}`, "envs.A: must be a string, not a boolean"},

	// Missing, empty or unusable values.
	{`{"awsCredentials": {"ACCESS_KEY_ID": "AKIDs3cr3t"}}`, "awsCredentials: ACCESS_KEY_ID given without SECRET_ACCESS_KEY"},
	{`{"awsCredentials": {"SECRET_ACCESS_KEY": "keys3cr3t", "ACCESS_KEY_ID": null}}`,
		"awsCredentials: SECRET_ACCESS_KEY given without ACCESS_KEY_ID"},
	{`{"awsCredentials": {"SESSION_TOKEN": "tokens3cr3t"}}`,
		"awsCredentials: SESSION_TOKEN given without ACCESS_KEY_ID and SECRET_ACCESS_KEY"},
	{`{"awsCredentials": {}}`, "awsCredentials: missing ACCESS_KEY_ID and SECRET_ACCESS_KEY"},
	{`{"awsCredentials": {"ACCESS_KEY_ID": "", "SECRET_ACCESS_KEY": "keys3cr3t"}}`, "awsCredentials.ACCESS_KEY_ID: must not be empty"},
	{`{"awsRole": {"sessionName": "s3cr3t", "duration": 900}}`, "awsRole: missing roleARN"},
	{`{"awsRole": {"roleARN": null}}`, "awsRole: missing roleARN"},
	{`{"awsRole": {"roleArn": ""}}`, "awsRole.roleArn: must not be empty"},
	{`{"awsCredentials": {"ACCESS_KEY_ID": "AKID\u0000s3cr3t", "SECRET_ACCESS_KEY": "keys3cr3t"}}`,
		"awsCredentials.ACCESS_KEY_ID: must not contain a NUL character"},
	{`{"envs": {"1ST": "s3cr3t"}}`, "envs.1ST: not a valid variable name"},
	{`{"envs": {"MY-VAR": "s3cr3t"}}`, "envs.MY-VAR: not a valid variable name"},
	{`{"envs": {"A\nB": "s3cr3t"}}`, `envs."A\nB": not a valid variable name`},
	{`{"envs": {"": "s3cr3t"}}`, `envs."": not a valid variable name`},
	{`{"envs": {"A=B": "s3cr3t"}}`, `envs."A=B": not a valid variable name`},
	{`{"envs": {"TOKEN": "s3cr3t\u0000"}}`, "envs.TOKEN: must not contain a NUL character"},
}

func TestParseValid(t *testing.T) {
	for _, tt := range validOutputs {
		t.Run(tt.name, func(t *testing.T) {
			got, err := authprovider.Parse([]byte(tt.output))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse = %s\nwant %s", show(got), show(tt.want))
			}
			if objects := got.Objects(); !reflect.DeepEqual(objects, tt.objects) {
				t.Errorf("Objects() = %q, want %q", objects, tt.objects)
			}
		})
	}
}

func TestParseInvalid(t *testing.T) {
	for _, tt := range invalidOutputs {
		got, err := authprovider.Parse([]byte(tt.output))
		if err == nil {
			t.Errorf("Parse(%q) = %s, want error %q", brief(tt.output), show(got), tt.want)
			continue
		}
		if err.Error() != tt.want {
			t.Errorf("Parse(%q) error:\n got %q\nwant %q", brief(tt.output), err, tt.want)
		}
		if strings.Contains(err.Error(), secretMarker) {
			t.Errorf("Parse(%q) error repeats a secret: %q", brief(tt.output), err)
		}
	}
}

func TestObjectsOfNil(t *testing.T) {
	var r *authprovider.Result
	if objects := r.Objects(); objects != nil {
		t.Errorf("Objects() of nil = %q, want nil", objects)
	}
}

func TestWrite(t *testing.T) {
	tests := []struct {
		name  string
		creds authprovider.Credentials
		envs  []authprovider.Env
		want  string
	}{
		{
			name:  "keys only",
			creds: authprovider.Credentials{AccessKeyID: "AKID", SecretAccessKey: "key"},
			want: `{
  "awsCredentials": {
    "ACCESS_KEY_ID": "AKID",
    "SECRET_ACCESS_KEY": "key"
  }
}
`,
		},
		{
			name:  "session token and envs",
			creds: authprovider.Credentials{AccessKeyID: "AKID", SecretAccessKey: "a+b/c<d>&", SessionToken: "tok=="},
			envs:  []authprovider.Env{{Name: "Z", Value: "<last>"}, {Name: "AWS_REGION", Value: "eu-west-1"}},
			want: `{
  "awsCredentials": {
    "ACCESS_KEY_ID": "AKID",
    "SECRET_ACCESS_KEY": "a+b/c<d>&",
    "SESSION_TOKEN": "tok=="
  },
  "envs": {
    "AWS_REGION": "eu-west-1",
    "Z": "<last>"
  }
}
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			if err := authprovider.Write(&out, tt.creds, tt.envs); err != nil {
				t.Fatal(err)
			}
			if out.String() != tt.want {
				t.Errorf("Write wrote\n%s\nwant\n%s", out.String(), tt.want)
			}
		})
	}
}

func TestWriteParseRoundTrip(t *testing.T) {
	tests := []struct {
		creds authprovider.Credentials
		envs  []authprovider.Env
	}{
		{creds: authprovider.Credentials{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}},
		{
			creds: authprovider.Credentials{AccessKeyID: "ASIA", SecretAccessKey: "s", SessionToken: "FwoGZX\"\\/\u2028<>&"},
			envs: []authprovider.Env{
				{Name: "TF_VAR_x", Value: "line 1\nline 2\ttab"},
				{Name: "A", Value: ""},
				{Name: "_", Value: "ünïcødé 🔑"},
			},
		},
	}
	for _, tt := range tests {
		var out bytes.Buffer
		if err := authprovider.Write(&out, tt.creds, tt.envs); err != nil {
			t.Fatal(err)
		}
		got, err := authprovider.Parse(out.Bytes())
		if err != nil {
			t.Fatalf("Parse(Write(...)) = %v; Write wrote\n%s", err, out.String())
		}
		want := &authprovider.Result{Credentials: &tt.creds, Envs: sortedEnvs(tt.envs)}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Parse(Write(...)) = %s, want %s", show(got), show(want))
		}
	}
}

func TestWriteRefusesWhatParseWould(t *testing.T) {
	keys := authprovider.Credentials{AccessKeyID: "AKID", SecretAccessKey: "keys3cr3t"}
	tests := []struct {
		creds authprovider.Credentials
		envs  []authprovider.Env
		want  string
	}{
		{authprovider.Credentials{SecretAccessKey: "keys3cr3t"}, nil, "write auth provider output: credentials have no access key ID"},
		{authprovider.Credentials{AccessKeyID: "AKID"}, nil, "write auth provider output: credentials have no secret access key"},
		{authprovider.Credentials{AccessKeyID: "AKID", SecretAccessKey: "s3cr3t\xff"}, nil,
			"write auth provider output: awsCredentials.SECRET_ACCESS_KEY: not valid UTF-8"},
		{keys, []authprovider.Env{{Name: "1A", Value: "s3cr3t"}}, "write auth provider output: envs.1A: not a valid variable name"},
		{keys, []authprovider.Env{{Name: "A", Value: "x"}, {Name: "A", Value: "s3cr3t"}}, "write auth provider output: envs.A: given twice"},
		{keys, []authprovider.Env{{Name: "A", Value: "s3cr3t\x00"}}, "write auth provider output: envs.A: must not contain a NUL character"},
	}
	for _, tt := range tests {
		var out bytes.Buffer
		err := authprovider.Write(&out, tt.creds, tt.envs)
		if err == nil || err.Error() != tt.want {
			t.Errorf("Write(%+v, %+v) = %v, want %q", tt.creds, tt.envs, err, tt.want)
		}
		if out.Len() != 0 {
			t.Errorf("Write(%+v, %+v) wrote %q despite the error", tt.creds, tt.envs, out.String())
		}
	}
}

// sortedEnvs returns a sorted copy of envs, or nil when there are none, as Parse returns them.
func sortedEnvs(envs []authprovider.Env) []authprovider.Env {
	if len(envs) == 0 {
		return nil
	}
	sorted := slices.Clone(envs)
	slices.SortFunc(sorted, func(a, b authprovider.Env) int { return strings.Compare(a.Name, b.Name) })
	return sorted
}

// show formats r for a failure message.
func show(r *authprovider.Result) string {
	if r == nil {
		return "nil"
	}
	s := "{"
	if r.Credentials != nil {
		s += fmt.Sprintf(" Credentials:%+v", *r.Credentials)
	}
	if r.Role != nil {
		s += fmt.Sprintf(" Role:%+v", *r.Role)
	}
	if r.Envs != nil {
		s += fmt.Sprintf(" Envs:%q", r.Envs)
	}
	return s + " }"
}

// brief shortens s for a failure message.
func brief(s string) string {
	if len(s) > 200 {
		return s[:200] + "..."
	}
	return s
}
