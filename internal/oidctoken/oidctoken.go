// Package oidctoken fetches web identity (OIDC) tokens from CI systems for STS
// AssumeRoleWithWebIdentity, so a pipeline needs no glue code to hand rolehop a token.
//
// Every source fetches or reads its token afresh on each call to Token, because credentials are
// refreshed long after the job started and CI tokens are short-lived.
package oidctoken

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/rolehop/rolehop/internal/plan"
)

// DefaultAudience is the audience requested when Options.Audience is empty.
const DefaultAudience = "sts.amazonaws.com"

const (
	defaultAttemptTimeout = 10 * time.Second
	defaultMaxAttempts    = 5
	defaultMaxBackoff     = 8 * time.Second
	defaultBuildkiteAgent = "buildkite-agent"
	tokenFileVar          = "AWS_WEB_IDENTITY_TOKEN_FILE"
)

// Providers returns the provider names New accepts, in order: auto, github, gitlab, circleci,
// buildkite, bitbucket, file.
func Providers() []string {
	return []string{"auto", "github", "gitlab", "circleci", "buildkite", "bitbucket", "file"}
}

// Options are what the sources need from their surroundings. The zero value works outside tests.
type Options struct {
	// Audience is the token's audience for the sources that request one (github, buildkite);
	// empty means DefaultAudience.
	Audience string
	// TokenEnv is the variable that holds GitLab's id_token; empty means ROLEHOP_OIDC_TOKEN, then
	// GITLAB_OIDC_TOKEN.
	TokenEnv string
	// LookupEnv reads the environment, at Token time for the sources that read variables; nil
	// means os.LookupEnv.
	LookupEnv func(string) (string, bool)
	// HTTPClient sends GitHub's token request; nil means a client with a 30s timeout.
	HTTPClient *http.Client
	// AttemptTimeout bounds each GitHub token request; zero means 10s.
	AttemptTimeout time.Duration
	// MaxAttempts bounds the GitHub token requests made for one token; zero means 5.
	MaxAttempts int
	// MaxBackoff caps the jittered delay between GitHub token requests; zero means 8s.
	MaxBackoff time.Duration
	// BuildkiteAgent is the buildkite-agent program to run; empty means "buildkite-agent",
	// looked up on the PATH of Environ.
	BuildkiteAgent string
	// BuildkiteTimeout bounds each run of buildkite-agent; zero means 2m.
	BuildkiteTimeout time.Duration
	// Environ returns the environment buildkite-agent runs with (less rolehop's own secret
	// inputs), at Token time; nil means os.Environ.
	Environ func() []string
}

func (o Options) withDefaults() Options {
	o.Audience = strings.TrimSpace(o.Audience)
	if o.Audience == "" {
		o.Audience = DefaultAudience
	}
	if o.LookupEnv == nil {
		o.LookupEnv = os.LookupEnv
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if o.AttemptTimeout <= 0 {
		o.AttemptTimeout = defaultAttemptTimeout
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = defaultMaxAttempts
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = defaultMaxBackoff
	}
	if o.BuildkiteAgent == "" {
		o.BuildkiteAgent = defaultBuildkiteAgent
	}
	if o.BuildkiteTimeout <= 0 {
		o.BuildkiteTimeout = defaultBuildkiteTimeout
	}
	if o.Environ == nil {
		o.Environ = os.Environ
	}
	return o
}

// New returns the source named name, one of Providers. For "auto" it detects the CI from its
// standard variables and returns that CI's source, or an error outside a known CI.
func New(name string, o Options) (plan.TokenSource, error) {
	o = o.withDefaults()
	if name == "auto" {
		var err error
		if name, err = detect(o.LookupEnv); err != nil {
			return nil, err
		}
	}
	switch name {
	case "github":
		return newGitHub(o), nil
	case "gitlab":
		names := []string{"ROLEHOP_OIDC_TOKEN", "GITLAB_OIDC_TOKEN"}
		hint := "define one with the job's id_tokens keyword (aud: " + o.Audience + ")"
		if o.TokenEnv != "" {
			names = []string{o.TokenEnv}
			hint = "define it with the job's id_tokens keyword (aud: " + o.Audience + ")"
		}
		return &envSource{display: "GitLab CI", kind: "id_token", names: names, hint: hint, lookup: o.LookupEnv}, nil
	case "circleci":
		return &envSource{
			display: "CircleCI", kind: "OIDC token",
			names:  []string{"CIRCLE_OIDC_TOKEN_V2", "CIRCLE_OIDC_TOKEN"},
			hint:   "CircleCI sets them only in jobs that use a context",
			lookup: o.LookupEnv,
		}, nil
	case "buildkite":
		return &buildkiteSource{audience: o.Audience, program: o.BuildkiteAgent, environ: o.Environ, timeout: o.BuildkiteTimeout}, nil
	case "bitbucket":
		return &envSource{
			display: "Bitbucket Pipelines", kind: "OIDC token",
			names:  []string{"BITBUCKET_STEP_OIDC_TOKEN"},
			hint:   `add "oidc: true" to the step`,
			lookup: o.LookupEnv,
		}, nil
	case "file":
		return &fileSource{lookup: o.LookupEnv}, nil
	}
	return nil, fmt.Errorf("unknown web identity provider %q; valid providers: %s", name, strings.Join(Providers(), ", "))
}

// detect names the provider for the CI the process runs in, judged by each CI's own variables.
func detect(lookup func(string) (string, bool)) (string, error) {
	is := func(name string) bool { v, _ := lookup(name); return v == "true" }
	set := func(name string) bool { v, _ := lookup(name); return v != "" }
	switch {
	case is("GITHUB_ACTIONS"):
		return "github", nil
	case is("GITLAB_CI"):
		return "gitlab", nil
	case is("CIRCLECI"):
		return "circleci", nil
	case is("BUILDKITE"):
		return "buildkite", nil
	case set("BITBUCKET_BUILD_NUMBER"):
		return "bitbucket", nil
	case set(tokenFileVar):
		return "file", nil
	}
	return "", fmt.Errorf("auto: not running in GitHub Actions, GitLab CI, CircleCI, Buildkite or Bitbucket Pipelines, and %s is not set; choose a --web-identity-provider or pass --iam-web-identity-token", tokenFileVar)
}

// envSource reads the token from the first of its variables that holds one.
type envSource struct {
	display string // the CI's name, which starts every error
	kind    string // what the CI calls the token
	names   []string
	hint    string // what to do when no variable is set
	lookup  func(string) (string, bool)
}

func (s *envSource) Token(context.Context) ([]byte, error) {
	empty := ""
	for _, name := range s.names {
		v, ok := s.lookup(name)
		if t := strings.TrimSpace(v); t != "" {
			return []byte(t), nil
		}
		if ok && empty == "" {
			empty = name
		}
	}
	if empty != "" {
		return nil, fmt.Errorf("%s: %s is empty; %s", s.display, empty, s.hint)
	}
	verb := "is"
	if len(s.names) > 1 {
		verb = "are"
	}
	return nil, fmt.Errorf("%s: %s %s not set; %s", s.display, strings.Join(s.names, " and "), verb, s.hint)
}

// String names the variable the token comes from: the first one set, or all of them.
func (s *envSource) String() string {
	where := "$" + strings.Join(s.names, " or $")
	for _, name := range s.names {
		if v, _ := s.lookup(name); strings.TrimSpace(v) != "" {
			where = "$" + name
			break
		}
	}
	return s.display + " " + s.kind + " in " + where
}

// fileSource reads the file named by AWS_WEB_IDENTITY_TOKEN_FILE, which Kubernetes (EKS IRSA)
// and some runners rewrite before the token expires.
type fileSource struct {
	lookup func(string) (string, bool)
}

const fileDisplay = "Web identity token file"

func (s *fileSource) Token(context.Context) ([]byte, error) {
	path, _ := s.lookup(tokenFileVar)
	if path == "" {
		return nil, fmt.Errorf("%s: %s is not set; set it to the path of the token file", fileDisplay, tokenFileVar)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fileDisplay, err)
	}
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil, fmt.Errorf("%s: %s is empty", fileDisplay, path)
	}
	return b, nil
}

func (s *fileSource) String() string {
	path, _ := s.lookup(tokenFileVar)
	if path == "" {
		path = "not set"
	}
	return "file $" + tokenFileVar + " (" + path + ")"
}
