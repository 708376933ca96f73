package config

import "testing"

func TestConsoleListenAddr(t *testing.T) {
	tests := []struct {
		addr, console, want string
		wantErr             bool
	}{
		{addr: "127.0.0.1:8070", want: "127.0.0.1:8071"},
		{addr: "127.0.0.1:0", want: "127.0.0.1:0"},
		{addr: "[::1]:9000", want: "[::1]:9001"},
		{addr: "0.0.0.0:8070", console: "10.0.0.5:443", want: "10.0.0.5:443"},
		{addr: "127.0.0.1:8070", console: ConsoleOff, want: ""},
		{addr: "127.0.0.1:65535", wantErr: true},
		{addr: "nonsense", wantErr: true},
	}
	for _, tt := range tests {
		got, err := Config{Addr: tt.addr, ConsoleAddr: tt.console}.ConsoleListenAddr()
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("addr %q console %q: %q, %v; want %q (error %v)", tt.addr, tt.console, got, err, tt.want, tt.wantErr)
		}
	}
}
