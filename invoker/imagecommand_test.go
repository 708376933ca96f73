package invoker

import (
	"slices"
	"testing"

	"github.com/lambdock/lambdock/internal/contract/agentproto"
	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/invoker/sandbox"
)

// TestImageCommand checks what the agent starts for an image function and its _HANDLER.
func TestImageCommand(t *testing.T) {
	agent := []string{agentproto.AgentPath}
	tests := []struct {
		name        string
		img         sandbox.ImageConfig
		spec        function.Spec
		wantCommand []string
		wantHandler string
	}{
		{"entrypoint only", sandbox.ImageConfig{Entrypoint: []string{"/fn"}}, function.Spec{},
			[]string{"/fn"}, ""},
		{"entrypoint and cmd", sandbox.ImageConfig{Entrypoint: []string{"/entry.sh"}, Cmd: []string{"app.handler", "x"}}, function.Spec{},
			[]string{"/entry.sh", "app.handler", "x"}, "app.handler"},
		{"cmd only", sandbox.ImageConfig{Cmd: []string{"/fn", "-v"}}, function.Spec{},
			[]string{"/fn", "-v"}, "/fn"},
		{"command override", sandbox.ImageConfig{Entrypoint: []string{"/entry.sh"}, Cmd: []string{"a.b"}}, function.Spec{Command: []string{"c.d"}},
			[]string{"/entry.sh", "c.d"}, "c.d"},
		{"entry point override keeps cmd", sandbox.ImageConfig{Entrypoint: []string{"/entry.sh"}, Cmd: []string{"a.b"}}, function.Spec{EntryPoint: []string{"/other"}},
			[]string{"/other", "a.b"}, "a.b"},
		{"base image's agent entrypoint: bootstrap search", sandbox.ImageConfig{Entrypoint: agent, Cmd: []string{"app.handler"}}, function.Spec{},
			nil, "app.handler"},
		{"agent entrypoint, command override", sandbox.ImageConfig{Entrypoint: agent, Cmd: []string{"app.handler"}}, function.Spec{Command: []string{"other.fn"}},
			nil, "other.fn"},
		{"agent entrypoint replaced", sandbox.ImageConfig{Entrypoint: agent, Cmd: []string{"x"}}, function.Spec{EntryPoint: []string{"/fn"}},
			[]string{"/fn", "x"}, "x"},
		{"nothing at all", sandbox.ImageConfig{}, function.Spec{}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd, handler := imageCommand(tt.img, tt.spec)
			if !slices.Equal(cmd, tt.wantCommand) || handler != tt.wantHandler {
				t.Errorf("imageCommand = %q, %q; want %q, %q", cmd, handler, tt.wantCommand, tt.wantHandler)
			}
		})
	}
}
