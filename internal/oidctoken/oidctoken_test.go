package oidctoken

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rolehop/rolehop/internal/plan"
)

// envMap is an environment for Options.LookupEnv.
type envMap map[string]string

func (m envMap) lookup(name string) (string, bool) {
	v, ok := m[name]
	return v, ok
}

func newSource(t *testing.T, name string, o Options) plan.TokenSource {
	t.Helper()
	s, err := New(name, o)
	if err != nil {
		t.Fatalf("New(%q): %v", name, err)
	}
	return s
}

// checkErr fails unless err is exactly want, on one line, and free of every secret.
func checkErr(t *testing.T, err error, want string, secrets ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %q", want)
	}
	if got := err.Error(); got != want {
		t.Errorf("error:\n got  %q\n want %q", got, want)
	}
	checkErrShape(t, err, secrets...)
}

// checkErrShape fails unless err is on one line and free of every secret.
func checkErrShape(t *testing.T, err error, secrets ...string) {
	t.Helper()
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("error spans lines: %q", err)
	}
	for _, s := range secrets {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error %q reveals secret %q", err, s)
		}
	}
}

func TestProviders(t *testing.T) {
	want := []string{"auto", "github", "gitlab", "circleci", "buildkite", "bitbucket", "file"}
	if got := Providers(); !slices.Equal(got, want) {
		t.Errorf("Providers() = %q, want %q", got, want)
	}
	for _, name := range Providers()[1:] {
		if _, err := New(name, Options{LookupEnv: envMap{}.lookup}); err != nil {
			t.Errorf("New(%q): %v", name, err)
		}
	}
}

func TestNewUnknown(t *testing.T) {
	for _, name := range []string{"", "GitHub", "jenkins"} {
		_, err := New(name, Options{})
		checkErr(t, err, `unknown web identity provider "`+name+`"; valid providers: auto, github, gitlab, circleci, buildkite, bitbucket, file`)
	}
}

func TestAuto(t *testing.T) {
	const notCI = "auto: not running in GitHub Actions, GitLab CI, CircleCI, Buildkite or Bitbucket Pipelines, and AWS_WEB_IDENTITY_TOKEN_FILE is not set; choose a --web-identity-provider or pass --iam-web-identity-token"
	tests := []struct {
		name    string
		env     envMap
		want    string // the chosen source's String
		wantErr string
	}{
		{"github", envMap{"GITHUB_ACTIONS": "true"}, "GitHub Actions OIDC token (audience sts.amazonaws.com)", ""},
		{"gitlab", envMap{"GITLAB_CI": "true", "GITLAB_OIDC_TOKEN": "t"}, "GitLab CI id_token in $GITLAB_OIDC_TOKEN", ""},
		{"circleci", envMap{"CIRCLECI": "true"}, "CircleCI OIDC token in $CIRCLE_OIDC_TOKEN_V2 or $CIRCLE_OIDC_TOKEN", ""},
		{"buildkite", envMap{"BUILDKITE": "true"}, "Buildkite OIDC token from buildkite-agent (audience sts.amazonaws.com)", ""},
		{"bitbucket", envMap{"BITBUCKET_BUILD_NUMBER": "42"}, "Bitbucket Pipelines OIDC token in $BITBUCKET_STEP_OIDC_TOKEN", ""},
		{"file", envMap{"AWS_WEB_IDENTITY_TOKEN_FILE": "/var/run/token"}, "file $AWS_WEB_IDENTITY_TOKEN_FILE (/var/run/token)", ""},
		{"github before the rest", envMap{"GITHUB_ACTIONS": "true", "GITLAB_CI": "true", "CIRCLECI": "true", "BUILDKITE": "true", "BITBUCKET_BUILD_NUMBER": "1", "AWS_WEB_IDENTITY_TOKEN_FILE": "/t"}, "GitHub Actions OIDC token (audience sts.amazonaws.com)", ""},
		{"gitlab before circleci", envMap{"GITLAB_CI": "true", "CIRCLECI": "true"}, "GitLab CI id_token in $ROLEHOP_OIDC_TOKEN or $GITLAB_OIDC_TOKEN", ""},
		{"circleci before buildkite", envMap{"CIRCLECI": "true", "BUILDKITE": "true"}, "CircleCI OIDC token in $CIRCLE_OIDC_TOKEN_V2 or $CIRCLE_OIDC_TOKEN", ""},
		{"buildkite before bitbucket", envMap{"BUILDKITE": "true", "BITBUCKET_BUILD_NUMBER": "1"}, "Buildkite OIDC token from buildkite-agent (audience sts.amazonaws.com)", ""},
		{"CI before token file", envMap{"BITBUCKET_BUILD_NUMBER": "1", "AWS_WEB_IDENTITY_TOKEN_FILE": "/t"}, "Bitbucket Pipelines OIDC token in $BITBUCKET_STEP_OIDC_TOKEN", ""},
		{"nothing", envMap{}, "", notCI},
		{"GITHUB_ACTIONS not true", envMap{"GITHUB_ACTIONS": "false", "GITLAB_CI": "1"}, "", notCI},
		{"empty variables", envMap{"BITBUCKET_BUILD_NUMBER": "", "AWS_WEB_IDENTITY_TOKEN_FILE": ""}, "", notCI},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := New("auto", Options{LookupEnv: tt.env.lookup})
			if tt.wantErr != "" {
				checkErr(t, err, tt.wantErr)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := s.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestEnvSources(t *testing.T) {
	const (
		gitlabHint    = "define one with the job's id_tokens keyword (aud: sts.amazonaws.com)"
		circleHint    = "CircleCI sets them only in jobs that use a context"
		bitbucketHint = `add "oidc: true" to the step`
	)
	tests := []struct {
		name     string
		provider string
		opts     Options
		env      envMap
		want     string
		wantErr  string
	}{
		{"gitlab rolehop variable", "gitlab", Options{}, envMap{"ROLEHOP_OIDC_TOKEN": "r.tok", "GITLAB_OIDC_TOKEN": "g.tok"}, "r.tok", ""},
		{"gitlab fallback", "gitlab", Options{}, envMap{"GITLAB_OIDC_TOKEN": " g.tok\n"}, "g.tok", ""},
		{"gitlab empty first", "gitlab", Options{}, envMap{"ROLEHOP_OIDC_TOKEN": "", "GITLAB_OIDC_TOKEN": "g.tok"}, "g.tok", ""},
		{"gitlab unset", "gitlab", Options{}, envMap{}, "",
			"GitLab CI: ROLEHOP_OIDC_TOKEN and GITLAB_OIDC_TOKEN are not set; " + gitlabHint},
		{"gitlab blank", "gitlab", Options{}, envMap{"GITLAB_OIDC_TOKEN": " \n"}, "",
			"GitLab CI: GITLAB_OIDC_TOKEN is empty; " + gitlabHint},
		{"gitlab chosen variable", "gitlab", Options{TokenEnv: "MY_ID_TOKEN"}, envMap{"MY_ID_TOKEN": "m.tok", "ROLEHOP_OIDC_TOKEN": "r.tok"}, "m.tok", ""},
		{"gitlab chosen variable unset", "gitlab", Options{TokenEnv: "MY_ID_TOKEN", Audience: "rolehop"}, envMap{"ROLEHOP_OIDC_TOKEN": "r.tok"}, "",
			"GitLab CI: MY_ID_TOKEN is not set; define it with the job's id_tokens keyword (aud: rolehop)"},
		{"circleci v2", "circleci", Options{}, envMap{"CIRCLE_OIDC_TOKEN_V2": "v2.tok", "CIRCLE_OIDC_TOKEN": "v1.tok"}, "v2.tok", ""},
		{"circleci v1", "circleci", Options{}, envMap{"CIRCLE_OIDC_TOKEN": "v1.tok"}, "v1.tok", ""},
		{"circleci unset", "circleci", Options{}, envMap{}, "",
			"CircleCI: CIRCLE_OIDC_TOKEN_V2 and CIRCLE_OIDC_TOKEN are not set; " + circleHint},
		{"circleci blank", "circleci", Options{}, envMap{"CIRCLE_OIDC_TOKEN": "\t"}, "",
			"CircleCI: CIRCLE_OIDC_TOKEN is empty; " + circleHint},
		{"bitbucket", "bitbucket", Options{}, envMap{"BITBUCKET_STEP_OIDC_TOKEN": "b.tok"}, "b.tok", ""},
		{"bitbucket unset", "bitbucket", Options{}, envMap{}, "",
			"Bitbucket Pipelines: BITBUCKET_STEP_OIDC_TOKEN is not set; " + bitbucketHint},
		{"bitbucket blank", "bitbucket", Options{}, envMap{"BITBUCKET_STEP_OIDC_TOKEN": " "}, "",
			"Bitbucket Pipelines: BITBUCKET_STEP_OIDC_TOKEN is empty; " + bitbucketHint},
		{"file unset", "file", Options{}, envMap{}, "",
			"Web identity token file: AWS_WEB_IDENTITY_TOKEN_FILE is not set; set it to the path of the token file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.LookupEnv = tt.env.lookup
			tok, err := newSource(t, tt.provider, tt.opts).Token(t.Context())
			if tt.wantErr != "" {
				checkErr(t, err, tt.wantErr)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(tok) != tt.want {
				t.Errorf("Token() = %q, want %q", tok, tt.want)
			}
		})
	}
}

func TestEnvReadAtTokenTime(t *testing.T) {
	tests := []struct{ provider, variable string }{
		{"gitlab", "GITLAB_OIDC_TOKEN"},
		{"circleci", "CIRCLE_OIDC_TOKEN_V2"},
		{"bitbucket", "BITBUCKET_STEP_OIDC_TOKEN"},
	}
	for _, tt := range tests {
		t.Run(tt.provider, func(t *testing.T) {
			env := envMap{}
			s := newSource(t, tt.provider, Options{LookupEnv: env.lookup})
			if _, err := s.Token(t.Context()); err == nil {
				t.Fatal("Token() with the variable unset: got no error")
			}
			for _, want := range []string{"first", "second"} {
				env[tt.variable] = want
				tok, err := s.Token(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				if string(tok) != want {
					t.Errorf("Token() = %q, want %q", tok, want)
				}
			}
		})
	}
}

func TestString(t *testing.T) {
	tests := []struct {
		provider string
		opts     Options
		env      envMap
		want     string
	}{
		{"github", Options{}, envMap{}, "GitHub Actions OIDC token (audience sts.amazonaws.com)"},
		{"github", Options{Audience: " https://example.com/aud "}, envMap{}, "GitHub Actions OIDC token (audience https://example.com/aud)"},
		{"gitlab", Options{}, envMap{}, "GitLab CI id_token in $ROLEHOP_OIDC_TOKEN or $GITLAB_OIDC_TOKEN"},
		{"gitlab", Options{}, envMap{"GITLAB_OIDC_TOKEN": "secret-value"}, "GitLab CI id_token in $GITLAB_OIDC_TOKEN"},
		{"gitlab", Options{TokenEnv: "MY_ID_TOKEN"}, envMap{}, "GitLab CI id_token in $MY_ID_TOKEN"},
		{"circleci", Options{}, envMap{"CIRCLE_OIDC_TOKEN": "secret-value"}, "CircleCI OIDC token in $CIRCLE_OIDC_TOKEN"},
		{"buildkite", Options{Audience: "rolehop"}, envMap{}, "Buildkite OIDC token from buildkite-agent (audience rolehop)"},
		{"bitbucket", Options{}, envMap{"BITBUCKET_STEP_OIDC_TOKEN": "secret-value"}, "Bitbucket Pipelines OIDC token in $BITBUCKET_STEP_OIDC_TOKEN"},
		{"file", Options{}, envMap{"AWS_WEB_IDENTITY_TOKEN_FILE": "/var/run/secrets/token"}, "file $AWS_WEB_IDENTITY_TOKEN_FILE (/var/run/secrets/token)"},
		{"file", Options{}, envMap{}, "file $AWS_WEB_IDENTITY_TOKEN_FILE (not set)"},
	}
	for _, tt := range tests {
		tt.opts.LookupEnv = tt.env.lookup
		got := newSource(t, tt.provider, tt.opts).String()
		if got != tt.want {
			t.Errorf("%s String() = %q, want %q", tt.provider, got, tt.want)
		}
		if strings.Contains(got, "secret-value") {
			t.Errorf("%s String() = %q reveals the token", tt.provider, got)
		}
	}
}

func TestFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "token")
	env := envMap{"AWS_WEB_IDENTITY_TOKEN_FILE": path}
	s := newSource(t, "file", Options{LookupEnv: env.lookup})

	_, err := s.Token(t.Context())
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Token() with no file: got %v, want fs.ErrNotExist", err)
	}
	checkErr(t, err, "Web identity token file: open "+path+": no such file or directory")

	for _, want := range []string{"first.token", "second.token"} {
		if err := os.WriteFile(path, []byte("\n"+want+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		tok, err := s.Token(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if string(tok) != want {
			t.Errorf("Token() = %q, want %q", tok, want)
		}
	}

	if err := os.WriteFile(path, []byte(" \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = s.Token(t.Context())
	checkErr(t, err, "Web identity token file: "+path+" is empty")
}
