package gateway

import (
	"testing"

	"github.com/lambdock/lambdock/internal/testsupport/testenv"
)

// TestMain stops the shared PostgreSQL cluster of testenv after the tests.
func TestMain(m *testing.M) { testenv.Main(m) }
