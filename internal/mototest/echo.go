package mototest

import (
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"time"
)

// The credentials EchoSTS issues for an AssumeRole call that carries no secret of its own, so
// that a chain's next hop is signed with a session token the test knows.
const (
	EchoAccessKeyID     = "ASIAECHOSTSISSUED001"
	EchoSecretAccessKey = "echo-issued-secret-access-key-0123456789"
	EchoSessionToken    = "echo-issued-session-token-0123456789abcdef"
)

// EchoControl is what EchoSTS puts in every error message besides the echo: a line break, a
// tab, a carriage return, the 8-bit control sequence introducer of an ANSI escape (which
// clears the screen), a zero-width space and a right-to-left override.
const EchoControl = "\r\n\t\u009b2J\u200b\u202e"

// EchoSTS is a stand-in for an STS endpoint on 127.0.0.1 that answers calls with an error whose
// message repeats what the caller sent: its form values (WebIdentityToken, TokenCode, ...), its
// X-Amz-Security-Token header and, for a call signed with the credentials EchoSTS issued,
// their secret key; then EchoControl and padding. Only an AssumeRole call with neither a
// session token nor an MFA code succeeds, issuing EchoAccessKeyID, EchoSecretAccessKey and
// EchoSessionToken for a session of the role asked for.
type EchoSTS struct {
	// URL is the endpoint's base URL, http://127.0.0.1:PORT.
	URL string
	srv *httptest.Server
}

// NewEchoSTS starts an EchoSTS whose error messages end in pad bytes of padding. The caller
// must Close it.
func NewEchoSTS(pad int) *EchoSTS {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		token := r.Header.Get("X-Amz-Security-Token")
		if r.PostForm.Get("Action") == "AssumeRole" && token == "" && r.PostForm.Get("TokenCode") == "" {
			writeEchoCredentials(w, r.PostForm.Get("RoleArn"), r.PostForm.Get("RoleSessionName"))
			return
		}
		var msg strings.Builder
		msg.WriteString("echo:")
		for name, values := range r.PostForm {
			fmt.Fprintf(&msg, " %s=%s", name, strings.Join(values, ","))
		}
		fmt.Fprintf(&msg, " X-Amz-Security-Token=%s", token)
		if signer, _ := credentialScope(r.Header.Get("Authorization")); signer == EchoAccessKeyID {
			fmt.Fprintf(&msg, " signing-secret=%s", EchoSecretAccessKey)
		}
		msg.WriteString(EchoControl)
		msg.WriteString(strings.Repeat("x", pad))
		writeEchoError(w, msg.String())
	}))
	return &EchoSTS{URL: srv.URL, srv: srv}
}

// Close stops the endpoint.
func (e *EchoSTS) Close() { e.srv.Close() }

// assumedRoleARN is the ARN of a session of the role roleARN, as STS reports it.
func assumedRoleARN(roleARN, session string) string {
	parts := strings.SplitN(roleARN, ":", 6)
	if len(parts) != 6 {
		return "arn:aws:sts::111111111111:assumed-role/echo/" + session
	}
	name := parts[5][strings.LastIndex(parts[5], "/")+1:]
	return "arn:" + parts[1] + ":sts::" + parts[4] + ":assumed-role/" + name + "/" + session
}

func writeEchoCredentials(w http.ResponseWriter, roleARN, session string) {
	expires := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	body := fmt.Sprintf(`<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/%s/"><AssumeRoleResult>`+
		`<Credentials><AccessKeyId>%s</AccessKeyId><SecretAccessKey>%s</SecretAccessKey>`+
		`<SessionToken>%s</SessionToken><Expiration>%s</Expiration></Credentials>`+
		`<AssumedRoleUser><Arn>%s</Arn><AssumedRoleId>AROAECHO:%s</AssumedRoleId></AssumedRoleUser>`+
		`</AssumeRoleResult><ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></AssumeRoleResponse>`,
		stsVersion, EchoAccessKeyID, EchoSecretAccessKey, EchoSessionToken, expires, assumedRoleARN(roleARN, session), session, requestID())
	w.Header().Set("Content-Type", "text/xml")
	_, _ = io.WriteString(w, body)
}

func writeEchoError(w http.ResponseWriter, message string) {
	var escaped strings.Builder
	// EscapeText writes line breaks and tabs as character references, so they reach the
	// client's XML decoder intact.
	_ = xml.EscapeText(&escaped, []byte(message))
	body := fmt.Sprintf(`<ErrorResponse xmlns="https://sts.amazonaws.com/doc/%s/">`+
		`<Error><Type>Sender</Type><Code>AccessDenied</Code><Message>%s</Message></Error>`+
		`<RequestId>%s</RequestId></ErrorResponse>`, stsVersion, escaped.String(), requestID())
	h := w.Header()
	h.Set("Content-Type", "text/xml")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusForbidden)
	_, _ = io.WriteString(w, body)
}
