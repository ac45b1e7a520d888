// Package ssotest is a stand-in for IAM Identity Center on 127.0.0.1, for tests: the SSO OIDC
// service (RegisterClient, StartDeviceAuthorization, CreateToken) and the access portal
// (GetRoleCredentials, ListAccounts, ListAccountRoles, Logout), in the restJson1 shapes the
// SDK's ssooidc and sso clients speak. Point AWS_ENDPOINT_URL_SSO_OIDC and AWS_ENDPOINT_URL_SSO
// at its URL.
//
// It is test-support code: only tests of other packages import it.
package ssotest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Assignment is an account and a role in it that the signed-in user may use.
type Assignment struct {
	AccountID   string
	AccountName string
	RoleName    string
}

// Options configures a Server. The zero value approves a device on its first poll and issues
// access tokens good for an hour.
type Options struct {
	// Pending is how many polls of CreateToken for a device are answered
	// AuthorizationPendingException before the device counts as approved. A negative value
	// means never: the device waits for Approve.
	Pending int
	// SlowDown is how many polls, before the pending ones, are answered SlowDownException.
	SlowDown int
	// TokenLifetime is how long access tokens are good for; 0 means an hour.
	TokenLifetime time.Duration
	// Assignments are the account and role pairs GetRoleCredentials grants.
	Assignments []Assignment
	// PageSize is the most items a list call answers with at a time; 0 means 2, so that
	// pagination is always exercised.
	PageSize int
}

// Server is a running stand-in. It is safe for use by several goroutines.
type Server struct {
	// URL is the base URL of both services.
	URL string

	srv *httptest.Server
	mu  sync.Mutex
	o   Options
	now func() time.Time
	// clients maps a client ID to its secret.
	clients map[string]string
	devices map[string]*device
	// access maps an access token to when it expires.
	access map[string]time.Time
	// refresh maps a refresh token to the client it was issued to.
	refresh map[string]string
	calls   []string
	issued  []string
}

type device struct {
	clientID string
	polls    int
	approved bool
	used     bool
}

// Start starts a stand-in; Close stops it.
func Start(o Options) *Server {
	s := &Server{
		o:       o,
		now:     time.Now,
		clients: map[string]string{},
		devices: map[string]*device{},
		access:  map[string]time.Time{},
		refresh: map[string]string{},
	}
	if s.o.TokenLifetime <= 0 {
		s.o.TokenLifetime = time.Hour
	}
	if s.o.PageSize <= 0 {
		s.o.PageSize = 2
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /client/register", s.registerClient)
	mux.HandleFunc("POST /device_authorization", s.startDeviceAuthorization)
	mux.HandleFunc("POST /token", s.createToken)
	mux.HandleFunc("GET /federation/credentials", s.getRoleCredentials)
	mux.HandleFunc("GET /assignment/accounts", s.listAccounts)
	mux.HandleFunc("GET /assignment/roles", s.listAccountRoles)
	mux.HandleFunc("POST /logout", s.logout)
	s.srv = httptest.NewServer(mux)
	s.URL = s.srv.URL
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// Approve approves every device authorization started so far, as a user signing in would.
func (s *Server) Approve() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range s.devices {
		d.approved = true
	}
}

// ExpireTokens makes every access token issued so far expired; refresh tokens stay good.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for t := range s.access {
		s.access[t] = s.now().Add(-time.Second)
	}
}

// AddToken makes tok a valid access token until expires, as one another client (the AWS CLI)
// got would be.
func (s *Server) AddToken(tok string, expires time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.access[tok] = expires
}

// Calls returns the operations called so far, in order, as "CreateToken(device_code)",
// "GetRoleCredentials" and so on.
func (s *Server) Calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// Count returns how many calls of operation op were made.
func (s *Server) Count(op string) int {
	n := 0
	for _, c := range s.Calls() {
		if c == op || strings.HasPrefix(c, op+"(") {
			n++
		}
	}
	return n
}

// Issued returns every secret the server handed out (client secrets, tokens, secret access
// keys, session tokens), so tests can look for them where they must not be.
func (s *Server) Issued() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.issued)
}

// secret returns a new random secret with prefix, recorded in s.issued. s.mu must be held.
func (s *Server) secret(prefix string) string {
	b := make([]byte, 24)
	rand.Read(b)
	v := prefix + hex.EncodeToString(b)
	s.issued = append(s.issued, v)
	return v
}

func (s *Server) record(op string) {
	s.mu.Lock()
	s.calls = append(s.calls, op)
	s.mu.Unlock()
}

// fail answers with a restJson1 error of type kind, the way the SDK's deserializers read it:
// from the x-amzn-ErrorType header, with the body for the message. OIDC errors carry "error"
// and "error_description", the portal's "message".
func fail(w http.ResponseWriter, status int, kind, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-Errortype", kind)
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{
		"__type": kind, "message": msg, "error": strings.TrimSuffix(kind, "Exception"), "error_description": msg,
	})
}

func reply(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

func (s *Server) registerClient(w http.ResponseWriter, r *http.Request) {
	s.record("RegisterClient")
	var in struct {
		ClientName string `json:"clientName"`
		ClientType string `json:"clientType"`
	}
	if json.NewDecoder(r.Body).Decode(&in) != nil || in.ClientName == "" || in.ClientType != "public" {
		fail(w, 400, "InvalidClientMetadataException", "clientName and clientType public are required")
		return
	}
	s.mu.Lock()
	id, secret := s.secret("client-"), s.secret("clientsecret-")
	s.clients[id] = secret
	s.mu.Unlock()
	now := s.now()
	reply(w, map[string]any{
		"clientId": id, "clientSecret": secret,
		"clientIdIssuedAt": now.Unix(), "clientSecretExpiresAt": now.Add(90 * 24 * time.Hour).Unix(),
	})
}

// client checks a client ID and secret. s.mu must be held.
func (s *Server) client(id, secret string) bool {
	want, ok := s.clients[id]
	return ok && want == secret
}

func (s *Server) startDeviceAuthorization(w http.ResponseWriter, r *http.Request) {
	s.record("StartDeviceAuthorization")
	var in struct {
		ClientID     string `json:"clientId"`
		ClientSecret string `json:"clientSecret"`
		StartURL     string `json:"startUrl"`
	}
	json.NewDecoder(r.Body).Decode(&in)
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.client(in.ClientID, in.ClientSecret) {
		fail(w, 401, "InvalidClientException", "invalid client")
		return
	}
	if in.StartURL == "" {
		fail(w, 400, "InvalidRequestException", "startUrl is required")
		return
	}
	code := s.secret("device-")
	s.devices[code] = &device{clientID: in.ClientID}
	user := "ABCD-EFGH"
	// From the request, not s.URL: the handler may run before Start has set it.
	base := "http://" + r.Host
	reply(w, map[string]any{
		"deviceCode": code, "userCode": user, "expiresIn": 600, "interval": 1,
		"verificationUri":         base + "/device",
		"verificationUriComplete": base + "/device?user_code=" + user,
	})
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request) {
	var in struct {
		ClientID     string `json:"clientId"`
		ClientSecret string `json:"clientSecret"`
		GrantType    string `json:"grantType"`
		DeviceCode   string `json:"deviceCode"`
		RefreshToken string `json:"refreshToken"`
	}
	json.NewDecoder(r.Body).Decode(&in)
	grant := in.GrantType[strings.LastIndexAny(in.GrantType, ":")+1:]
	s.record("CreateToken(" + grant + ")")
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.client(in.ClientID, in.ClientSecret) {
		fail(w, 401, "InvalidClientException", "invalid client")
		return
	}
	switch in.GrantType {
	case "urn:ietf:params:oauth:grant-type:device_code":
		s.deviceToken(w, in.ClientID, in.DeviceCode)
	case "refresh_token":
		if s.refresh[in.RefreshToken] != in.ClientID {
			fail(w, 400, "InvalidGrantException", "invalid refresh token")
			return
		}
		delete(s.refresh, in.RefreshToken)
		s.issueToken(w, in.ClientID)
	default:
		fail(w, 400, "UnsupportedGrantTypeException", "unsupported grant type")
	}
}

// deviceToken answers a poll for device code: slow down, pending, or a token. s.mu must be held.
func (s *Server) deviceToken(w http.ResponseWriter, clientID, code string) {
	d, ok := s.devices[code]
	if !ok || d.clientID != clientID || d.used {
		fail(w, 400, "InvalidGrantException", "invalid device code")
		return
	}
	d.polls++
	switch {
	case d.polls <= s.o.SlowDown:
		fail(w, 400, "SlowDownException", "slow down")
		return
	case !d.approved && (s.o.Pending < 0 || d.polls <= s.o.SlowDown+s.o.Pending):
		fail(w, 400, "AuthorizationPendingException", "authorization pending")
		return
	}
	d.used = true
	s.issueToken(w, clientID)
}

// issueToken answers with a new access token and refresh token. s.mu must be held.
func (s *Server) issueToken(w http.ResponseWriter, clientID string) {
	access, refresh := s.secret("access-"), s.secret("refresh-")
	s.access[access] = s.now().Add(s.o.TokenLifetime)
	s.refresh[refresh] = clientID
	reply(w, map[string]any{
		"accessToken": access, "refreshToken": refresh, "tokenType": "Bearer",
		"expiresIn": int(s.o.TokenLifetime / time.Second),
	})
}

// authorized checks the request's bearer token, answering UnauthorizedException when it is
// missing, unknown or expired.
func (s *Server) authorized(w http.ResponseWriter, r *http.Request) bool {
	s.mu.Lock()
	exp, ok := s.access[r.Header.Get("X-Amz-Sso_bearer_token")]
	s.mu.Unlock()
	if !ok || !s.now().Before(exp) {
		fail(w, 401, "UnauthorizedException", "Session token not found or invalid")
		return false
	}
	return true
}

func (s *Server) getRoleCredentials(w http.ResponseWriter, r *http.Request) {
	s.record("GetRoleCredentials")
	if !s.authorized(w, r) {
		return
	}
	q := r.URL.Query()
	account, role := q.Get("account_id"), q.Get("role_name")
	if !slices.ContainsFunc(s.o.Assignments, func(a Assignment) bool {
		return a.AccountID == account && a.RoleName == role
	}) {
		fail(w, 403, "ForbiddenException", "No access")
		return
	}
	s.mu.Lock()
	key := "ASIA" + strings.ToUpper(s.secret("")[:16])
	secret, token := s.secret("ssosecret-"), s.secret("ssotoken-")
	s.mu.Unlock()
	reply(w, map[string]any{"roleCredentials": map[string]any{
		"accessKeyId": key, "secretAccessKey": secret, "sessionToken": token,
		"expiration": s.now().Add(time.Hour).UnixMilli(),
	}})
}

// page returns the items of list from the position next names, and the next token.
func page[T any](list []T, next string, size int) ([]T, string) {
	from, _ := strconv.Atoi(next)
	from = min(max(from, 0), len(list))
	to := min(from+size, len(list))
	if to == len(list) {
		return list[from:to], ""
	}
	return list[from:to], strconv.Itoa(to)
}

func (s *Server) listAccounts(w http.ResponseWriter, r *http.Request) {
	s.record("ListAccounts")
	if !s.authorized(w, r) {
		return
	}
	var accounts []map[string]string
	seen := map[string]bool{}
	for _, a := range s.o.Assignments {
		if !seen[a.AccountID] {
			seen[a.AccountID] = true
			accounts = append(accounts, map[string]string{
				"accountId": a.AccountID, "accountName": a.AccountName,
				"emailAddress": a.AccountID + "@example.com",
			})
		}
	}
	items, next := page(accounts, r.URL.Query().Get("next_token"), s.o.PageSize)
	reply(w, map[string]any{"accountList": items, "nextToken": next})
}

func (s *Server) listAccountRoles(w http.ResponseWriter, r *http.Request) {
	s.record("ListAccountRoles")
	if !s.authorized(w, r) {
		return
	}
	account := r.URL.Query().Get("account_id")
	var roles []map[string]string
	for _, a := range s.o.Assignments {
		if a.AccountID == account {
			roles = append(roles, map[string]string{"accountId": a.AccountID, "roleName": a.RoleName})
		}
	}
	items, next := page(roles, r.URL.Query().Get("next_token"), s.o.PageSize)
	reply(w, map[string]any{"roleList": items, "nextToken": next})
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	s.record("Logout")
	if !s.authorized(w, r) {
		return
	}
	s.mu.Lock()
	delete(s.access, r.Header.Get("X-Amz-Sso_bearer_token"))
	s.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}
