package sso

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"time"
)

// maxCLIToken bounds what is read of a token file of the AWS CLI.
const maxCLIToken = 64 << 10

// cliToken is the part of an AWS CLI token file rolehop reads.
type cliToken struct {
	AccessToken string    `json:"accessToken"`
	ExpiresAt   time.Time `json:"expiresAt"`
	StartURL    string    `json:"startUrl"`
}

// awsCLIToken returns a still valid access token the AWS CLI left for the session in its
// cache (`aws sso login`), named by the SHA-1 of the session name as the CLI names it. The
// file is only read: rolehop never writes there, nor refreshes that token.
func (c *Client) awsCLIToken() (token, bool) {
	if c.AWSCLICache == "" {
		return token{}, false
	}
	sum := sha1.Sum([]byte(c.Session.Name))
	f, err := os.Open(filepath.Join(c.AWSCLICache, hex.EncodeToString(sum[:])+".json"))
	if err != nil {
		return token{}, false
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxCLIToken))
	var t cliToken
	if err != nil || json.Unmarshal(data, &t) != nil || t.AccessToken == "" || t.StartURL != c.Session.StartURL ||
		!c.now().Add(expiryMargin).Before(t.ExpiresAt) {
		return token{}, false
	}
	return token{AccessToken: t.AccessToken, ExpiresAt: t.ExpiresAt}, true
}
