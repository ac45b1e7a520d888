package mototest

import "testing"

// moto is the moto_server shared by this package's tests.
var moto *Server

func TestMain(m *testing.M) {
	// sh runs the exits scripts' test programs.
	Main(m, []string{"aws", "sh"}, func(s *Server) { moto = s })
}
