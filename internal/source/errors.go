package source

import "errors"

var (
	errNoStore    = errors.New("no secret store to read stored credentials from")
	errNotFetched = errors.New("no credentials fetched yet")
)
