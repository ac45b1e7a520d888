// Package source is the credential source of one run: the plan, resolved once from the
// settings, and everything needed to fetch its credentials again. It is an
// aws.CredentialsProvider: each Retrieve runs again only what must run again (the auth
// provider, then the chain of STS calls, which re-reads a token file or fetches a fresh CI
// token, and reuses what the cache holds, such as the MFA session). Settings and rolehop.hcl
// are never read again, so a file rewritten during a run cannot change the identity a running
// command gets.
//
// Data flows one way: settings → plan → Source → a consumer (exec, env, whoami,
// credential-process, the local endpoint of exec --server).
package source

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/rolehop/rolehop/internal/authprovider"
	"github.com/rolehop/rolehop/internal/chain"
	"github.com/rolehop/rolehop/internal/plan"
	"github.com/rolehop/rolehop/internal/shellenv"
)

// Options are what a Source needs besides the plan.
type Options struct {
	// Chain is what each fetch's chain may use. Its Keys is called once per name, on the
	// first fetch that needs the keys: later fetches reuse them, so a refresh never asks for
	// a passphrase.
	Chain chain.Options
	// Provider says how the auth provider runs (its working directory, environment, streams
	// and whether it may take the terminal). Its Stdin and Terminal apply to the first fetch
	// only: a fetch after the first runs behind a command that owns the terminal, so the
	// provider then gets no input and leaves the terminal alone.
	Provider authprovider.Command
}

// Source fetches the credentials of one plan. It is safe for use by several goroutines; one
// fetch runs at a time.
type Source struct {
	plan plan.Plan
	o    Options

	mu      sync.Mutex
	fetched bool
	// keysMu guards keys: the chain reads stored keys only when a step must be fetched, which
	// may be after Retrieve returns (Identity).
	keysMu sync.Mutex
	keys   map[string]aws.Credentials
	last   *chain.Chain
	envs   []shellenv.Var
	name   string
	// resolved is the plan of the last fetch, with what the auth provider added to it.
	resolved plan.Plan
}

// New returns the source of p's credentials. It fetches nothing.
func New(p plan.Plan, o Options) *Source {
	if o.Chain.Log == nil {
		o.Chain.Log = slog.New(slog.DiscardHandler)
	}
	return &Source{plan: p, o: o, keys: map[string]aws.Credentials{}}
}

// Retrieve fetches the credentials at the end of the plan: it runs the auth provider, if the
// plan has one, then the chain. A fetch after the first runs behind a command that owns the
// terminal: neither the auth provider nor an MFA code source may use it then.
func (s *Source) Retrieve(ctx context.Context) (aws.Credentials, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.plan
	if s.fetched && p.Codes != nil {
		p.Codes = plan.InBackground(p.Codes)
	}
	if p.AuthProvider != nil {
		run := s.o.Provider
		if s.fetched {
			run.Stdin, run.Terminal = nil, false
		}
		var err error
		if p, err = authprovider.Resolve(ctx, p, run, s.o.Chain.Log); err != nil {
			return aws.Credentials{}, err
		}
	}
	s.fetched = true
	o := s.o.Chain
	o.Keys = s.storedKeys
	ch, err := chain.New(ctx, &p, o)
	if err != nil {
		return aws.Credentials{}, err
	}
	creds, err := ch.Retrieve(ctx)
	if err != nil {
		return aws.Credentials{}, err
	}
	s.last, s.envs, s.name, s.resolved = ch, nil, p.IdentityName(), p
	for _, e := range p.Envs {
		s.envs = append(s.envs, shellenv.Var{Name: e.Name, Value: e.Value})
	}
	return creds, nil
}

// storedKeys reads stored long-term keys once.
func (s *Source) storedKeys(name string) (aws.Credentials, error) {
	s.keysMu.Lock()
	defer s.keysMu.Unlock()
	if c, ok := s.keys[name]; ok {
		return c, nil
	}
	if s.o.Chain.Keys == nil {
		return aws.Credentials{}, errNoStore
	}
	c, err := s.o.Chain.Keys(name)
	if err != nil {
		return aws.Credentials{}, err
	}
	s.keys[name] = c
	return c, nil
}

// Region returns the region the command gets, the one STS is called in: the configured one,
// else the profile's, else the partition's default; "" before the first fetch.
func (s *Source) Region() string {
	if last := s.lastChain(); last != nil {
		return last.Region()
	}
	return ""
}

// IdentityName names the identity of the last fetch for a shell prompt (plan.IdentityName),
// with the role an auth provider returned; "" when there is no role, or before the first fetch.
func (s *Source) IdentityName() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.name
}

// SetRegion returns the region the settings or the profile set, "" when neither does or
// before the first fetch.
func (s *Source) SetRegion() string {
	if last := s.lastChain(); last != nil {
		return last.SetRegion()
	}
	return ""
}

// Envs returns the variables the auth provider asked for, as of the last fetch.
func (s *Source) Envs() []shellenv.Var {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.envs
}

// Identity asks STS GetCallerIdentity who the credentials of the last fetch belong to.
func (s *Source) Identity(ctx context.Context) (chain.Identity, error) {
	last := s.lastChain()
	if last == nil {
		return chain.Identity{}, errNotFetched
	}
	return last.Identity(ctx)
}

// Plan returns the plan of the last fetch, with the base credentials and role an auth
// provider added to it; before the first fetch, the plan as the settings made it.
func (s *Source) Plan() plan.Plan {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.last == nil {
		return s.plan
	}
	return s.resolved
}

// FederationToken gets a federated user's session with the credentials of the last fetch,
// which must be an IAM user's long-term keys (see chain.Chain.FederationToken).
func (s *Source) FederationToken(ctx context.Context, name string, d time.Duration) (aws.Credentials, error) {
	last := s.lastChain()
	if last == nil {
		return aws.Credentials{}, errNotFetched
	}
	return last.FederationToken(ctx, name, d)
}

// lastChain returns the chain of the last fetch, nil before the first.
func (s *Source) lastChain() *chain.Chain {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}
