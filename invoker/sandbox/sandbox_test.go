package sandbox

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/mount"

	"github.com/lambdock/lambdock/internal/contract/agentproto"
	"github.com/lambdock/lambdock/internal/contract/function"
)

func testParams(spec function.Spec) Params {
	return Params{
		InvokerID: "inv1", EnvID: "0123456789abcdef0123456789abcdef",
		Spec: spec.WithDefaults(), Image: "lambdock/provided:al2023", Handler: spec.Handler,
		AgentBinary: "/opt/agent", ChannelDir: "/data/run/x", CodeDir: "/data/code/abc",
		User: "993:990", PidsLimit: 1024, HostCPUs: 2,
		Created: time.Date(2024, 5, 1, 23, 30, 0, 0, time.FixedZone("x", -2*3600)),
	}
}

func TestNanoCPUs(t *testing.T) {
	for _, tc := range []struct {
		memMB, hostCPUs int
		want            int64
	}{
		{128, 2, 72_357_263},      // 128/1769 vCPU
		{1769, 2, 1_000_000_000},  // one vCPU
		{10240, 2, 2_000_000_000}, // capped by the host
		{10240, 16, 5_788_581_119},
		{20000, 16, 6_000_000_000}, // capped at Lambda's 6
		{1, 2, 10_000_000},         // Docker's minimum
	} {
		p := testParams(function.Spec{Name: "f", MemoryMB: tc.memMB})
		p.HostCPUs = tc.hostCPUs
		if got := p.NanoCPUs(); got != tc.want {
			t.Errorf("%d MB on %d CPUs: %d, want %d", tc.memMB, tc.hostCPUs, got, tc.want)
		}
	}
}

func TestInitNanoCPUs(t *testing.T) {
	for _, tc := range []struct {
		name     string
		memMB    int
		hostCPUs int
		initCPUs float64
		want     int64
	}{
		{"off", 128, 2, 0, 72_357_263},
		{"negative is off", 128, 2, -1, 72_357_263},
		{"NaN is off", 128, 2, math.NaN(), 72_357_263},
		{"burst of 2 vCPU", 128, 2, 2, 2_000_000_000},
		{"fractional burst", 128, 4, 1.5, 1_500_000_000},
		{"capped by the host", 128, 1, 2, 1_000_000_000},
		{"host count unknown counts as one", 128, 0, 2, 1_000_000_000},
		{"never below the function's own quota", 10240, 16, 2, 5_788_581_119},
		{"equal to the function's own quota", 3538, 2, 2, 2_000_000_000},
		{"burst smaller than the function's quota", 1769, 2, 0.5, 1_000_000_000},
		{"tiny burst keeps Docker's minimum", 1, 2, 0.001, 10_000_000},
		{"above Lambda's 6 vCPU on a large host", 128, 16, 8, 8_000_000_000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := testParams(function.Spec{Name: "f", MemoryMB: tc.memMB})
			p.HostCPUs, p.InitCPUs = tc.hostCPUs, tc.initCPUs
			if got := p.InitNanoCPUs(); got != tc.want {
				t.Errorf("%d MB on %d CPUs, init %g: %d, want %d", tc.memMB, tc.hostCPUs, tc.initCPUs, got, tc.want)
			}
			_, host := ContainerConfig(p)
			if host.Resources.NanoCPUs != tc.want {
				t.Errorf("container created with %d nano CPUs, want the init quota %d", host.Resources.NanoCPUs, tc.want)
			}
		})
	}
}

func TestContainerConfig(t *testing.T) {
	p := testParams(function.Spec{Name: "my.fn", Version: "3", MemoryMB: 256, EphemeralMB: 1024})
	cfg, host := ContainerConfig(p)

	if !slices.Equal(cfg.Entrypoint, []string{agentproto.AgentPath}) || len(cfg.Cmd) != 0 {
		t.Errorf("entrypoint %v cmd %v", cfg.Entrypoint, cfg.Cmd)
	}
	if cfg.User != "993:990" || cfg.Image != p.Image {
		t.Errorf("user %q image %q", cfg.User, cfg.Image)
	}
	wantLabels := map[string]string{LabelManaged: "true", LabelInvoker: "inv1", LabelFunction: "my.fn",
		LabelVersion: "3", LabelPoolKey: p.Spec.PoolKey(), LabelEnvID: p.EnvID}
	for k, v := range wantLabels {
		if cfg.Labels[k] != v {
			t.Errorf("label %s = %q, want %q", k, cfg.Labels[k], v)
		}
	}
	if _, ok := cfg.Labels[LabelInitType]; ok {
		t.Errorf("an on-demand container has label %s", LabelInitType)
	}
	pp := p
	pp.InitializationType = agentproto.InitProvisioned
	if got := pp.Labels()[LabelInitType]; got != agentproto.InitProvisioned {
		t.Errorf("a provisioned container's label %s = %q, want %q", LabelInitType, got, agentproto.InitProvisioned)
	}
	r := host.Resources
	if r.Memory != 256<<20 || r.MemorySwap != 256<<20 {
		t.Errorf("memory %d swap %d", r.Memory, r.MemorySwap)
	}
	if r.PidsLimit == nil || *r.PidsLimit != 1024 {
		t.Errorf("pids limit %v", r.PidsLimit)
	}
	if len(r.Ulimits) != 1 || r.Ulimits[0].Name != "nofile" || r.Ulimits[0].Soft != 1024 || r.Ulimits[0].Hard != 1024 {
		t.Errorf("ulimits %+v", r.Ulimits)
	}
	if !host.ReadonlyRootfs || !slices.Equal(host.CapDrop, []string{"ALL"}) ||
		!slices.Equal(host.SecurityOpt, []string{"no-new-privileges"}) {
		t.Errorf("readonly %v capdrop %v secopt %v", host.ReadonlyRootfs, host.CapDrop, host.SecurityOpt)
	}
	tmp := host.Tmpfs["/tmp"]
	for _, opt := range []string{"size=1024m", "mode=1777", "exec"} {
		if !slices.Contains(strings.Split(tmp, ","), opt) {
			t.Errorf("tmpfs %q lacks %s", tmp, opt)
		}
	}
	wantMounts := []mount.Mount{
		{Type: mount.TypeBind, Source: "/opt/agent", Target: agentproto.AgentPath, ReadOnly: true},
		{Type: mount.TypeBind, Source: "/data/run/x", Target: agentproto.ChannelDir},
		{Type: mount.TypeBind, Source: "/data/code/abc", Target: TaskRoot, ReadOnly: true},
	}
	if !slices.EqualFunc(host.Mounts, wantMounts, func(a, b mount.Mount) bool {
		return a.Type == b.Type && a.Source == b.Source && a.Target == b.Target && a.ReadOnly == b.ReadOnly
	}) {
		t.Errorf("mounts %+v", host.Mounts)
	}
	if got := p.Name(); got != "lambdock-my.fn-0123456789ab" {
		t.Errorf("name %q", got)
	}

	p.OptDir = "/data/opt/abc" // layers: /opt, read-only, after /var/task
	if _, host := ContainerConfig(p); len(host.Mounts) != 4 || host.Mounts[3] != (mount.Mount{
		Type: mount.TypeBind, Source: "/data/opt/abc", Target: "/opt", ReadOnly: true}) {
		t.Errorf("mounts with layers %+v", host.Mounts)
	}
	p.OptDir = ""

	p.CodeDir = "" // image function: no /var/task mount
	if _, host := ContainerConfig(p); len(host.Mounts) != 2 {
		t.Errorf("image function mounts %+v", host.Mounts)
	}
}

func TestEnvironment(t *testing.T) {
	tests := []struct {
		name     string
		spec     function.Spec
		imageEnv []string
		initType string            // Params.InitializationType
		want     map[string]string // "" value: must be absent
	}{
		{
			name: "lambda variables",
			spec: function.Spec{Name: "fn", Version: "7", MemoryMB: 512, Region: "eu-west-1", Runtime: "provided.al2023", Handler: "bootstrap"},
			want: map[string]string{
				"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001", "_HANDLER": "bootstrap",
				"LAMBDA_TASK_ROOT": "/var/task", "LAMBDA_RUNTIME_DIR": "/var/runtime",
				"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-west-1",
				"AWS_LAMBDA_FUNCTION_NAME": "fn", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
				"AWS_LAMBDA_FUNCTION_VERSION": "7", "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
				"AWS_LAMBDA_LOG_GROUP_NAME":  "/aws/lambda/fn",
				"AWS_LAMBDA_LOG_STREAM_NAME": "2024/05/02/[7]0123456789abcdef0123456789abcdef",
				"TZ":                         ":UTC", "LANG": "en_US.UTF-8", "PATH": "/usr/local/bin:/usr/bin/:/bin:/opt/bin",
				"LD_LIBRARY_PATH":   "/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib",
				"AWS_EXECUTION_ENV": "",
			},
		},
		{
			name: "managed runtime sets AWS_EXECUTION_ENV",
			spec: function.Spec{Name: "fn", Runtime: "python3.12"},
			want: map[string]string{"AWS_EXECUTION_ENV": "AWS_Lambda_python3.12"},
		},
		{
			name: "function variables cannot override reserved ones",
			spec: function.Spec{Name: "fn", Environment: map[string]string{
				"AWS_LAMBDA_FUNCTION_NAME": "evil", "AWS_REGION": "evil", "_HANDLER": "evil",
				"AWS_ACCESS_KEY_ID": "evil", "TZ": "evil", "AWS_LAMBDA_RUNTIME_API": "evil:1",
				"MY_VAR": "mine", "PATH": "/custom", "BAD=KEY": "x", "NUL": "a\x00b",
			}},
			want: map[string]string{
				"AWS_LAMBDA_FUNCTION_NAME": "fn", "AWS_REGION": "us-east-1", "_HANDLER": "",
				"AWS_ACCESS_KEY_ID": "", "TZ": ":UTC", "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001",
				"MY_VAR": "mine", "PATH": "/custom", "NUL": "",
			},
		},
		{
			name: "text logging sets no format variables",
			spec: function.Spec{Name: "fn", Logging: function.Logging{LogFormat: "Text"}},
			want: map[string]string{"AWS_LAMBDA_LOG_FORMAT": "", "AWS_LAMBDA_LOG_LEVEL": "", "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/fn"},
		},
		{
			name: "JSON logging sets the format and the application level; a log group is passed on",
			spec: function.Spec{Name: "fn", Logging: function.Logging{LogFormat: "JSON", ApplicationLogLevel: "WARN",
				SystemLogLevel: "DEBUG", LogGroup: "/shared/group"}},
			want: map[string]string{"AWS_LAMBDA_LOG_FORMAT": "JSON", "AWS_LAMBDA_LOG_LEVEL": "WARN",
				"AWS_LAMBDA_LOG_GROUP_NAME": "/shared/group"},
		},
		{
			name: "the platform's logging variables win over the function's",
			spec: function.Spec{Name: "fn", Logging: function.Logging{LogFormat: "JSON"},
				Environment: map[string]string{"AWS_LAMBDA_LOG_FORMAT": "Text", "AWS_LAMBDA_LOG_LEVEL": "TRACE"}},
			want: map[string]string{"AWS_LAMBDA_LOG_FORMAT": "JSON", "AWS_LAMBDA_LOG_LEVEL": "INFO"},
		},
		{
			name:     "a provisioned concurrency environment says so; a function cannot",
			spec:     function.Spec{Name: "fn", Environment: map[string]string{"AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand"}},
			initType: "provisioned-concurrency",
			want:     map[string]string{"AWS_LAMBDA_INITIALIZATION_TYPE": "provisioned-concurrency"},
		},
		{
			name: "a function cannot claim provisioned concurrency",
			spec: function.Spec{Name: "fn", Environment: map[string]string{"AWS_LAMBDA_INITIALIZATION_TYPE": "provisioned-concurrency"}},
			want: map[string]string{"AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand"},
		},
		{
			name:     "an image's own PATH is kept",
			spec:     function.Spec{Name: "fn", Image: "img"},
			imageEnv: []string{"PATH=/image/bin", "LANG=C.UTF-8"},
			want:     map[string]string{"PATH": "", "LANG": "", "LD_LIBRARY_PATH": "/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := testParams(tc.spec)
			p.ImageEnv, p.InitializationType = tc.imageEnv, tc.initType
			env := Environment(p)
			got := map[string]string{}
			for _, kv := range env {
				k, v, _ := strings.Cut(kv, "=")
				if _, dup := got[k]; dup {
					t.Errorf("%s set twice", k)
				}
				got[k] = v
			}
			if !slices.IsSorted(env) {
				t.Errorf("environment not sorted")
			}
			for k, want := range tc.want {
				v, ok := got[k]
				switch {
				case want == "" && ok && v != "":
					t.Errorf("%s = %q, want it unset", k, v)
				case want != "" && v != want:
					t.Errorf("%s = %q, want %q", k, v, want)
				}
			}
			if _, ok := got["BAD=KEY"]; ok {
				t.Errorf("malformed key passed")
			}
		})
	}
}

func TestCreateChannel(t *testing.T) {
	root := filepath.Join(t.TempDir(), "run")
	cfg := agentproto.Config{FunctionName: "fn", MemoryMB: 128, InitTimeout: 10 * time.Second}
	dir, err := CreateChannel(root, "env1", os.Getuid(), os.Getgid(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(dir)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("channel dir mode %v, %v", fi.Mode(), err)
	}
	b, err := os.ReadFile(filepath.Join(dir, agentproto.ConfigName))
	if err != nil {
		t.Fatal(err)
	}
	var got agentproto.Config
	if err := json.Unmarshal(b, &got); err != nil || !reflect.DeepEqual(got, cfg) {
		t.Errorf("config %+v, %v", got, err)
	}
	if _, err := CreateChannel(root, "env1", os.Getuid(), os.Getgid(), cfg); err == nil {
		t.Errorf("a second channel with the same id was created")
	}
	if err := RemoveChannels(root); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(root); len(left) != 0 {
		t.Errorf("left after RemoveChannels: %v", left)
	}
}

func TestStemContainerConfig(t *testing.T) {
	p := testParams(function.Spec{MemoryMB: 256, EphemeralMB: 1024})
	p.StemKey, p.CodeDir = "stem:img:256:1024", "/data/task/inv1/0123"
	cfg, host := ContainerConfig(p)
	want := map[string]string{LabelManaged: "true", LabelInvoker: "inv1", LabelStem: "true",
		LabelPoolKey: "stem:img:256:1024", LabelEnvID: p.EnvID}
	if !reflect.DeepEqual(cfg.Labels, want) {
		t.Errorf("labels %v, want %v", cfg.Labels, want)
	}
	if got := p.Name(); got != "lambdock-stem-0123456789ab" {
		t.Errorf("name %q", got)
	}
	for _, kv := range cfg.Env {
		if strings.HasPrefix(kv, "AWS_") || strings.HasPrefix(kv, "_HANDLER") {
			t.Errorf("a stem's container environment has the function variable %s", kv)
		}
	}
	// The shape's limits are set at create: they stay for the function it is specialised for.
	if r := host.Resources; r.Memory != 256<<20 || r.MemorySwap != 256<<20 || r.NanoCPUs != p.NanoCPUs() ||
		r.PidsLimit == nil || *r.PidsLimit != 1024 {
		t.Errorf("resources %+v", r)
	}
	if !slices.Contains(strings.Split(host.Tmpfs["/tmp"], ","), "size=1024m") {
		t.Errorf("tmpfs %q", host.Tmpfs["/tmp"])
	}
	task := host.Mounts[len(host.Mounts)-1]
	if task.Source != p.CodeDir || task.Target != TaskRoot || !task.ReadOnly {
		t.Errorf("task mount %+v, want the stem's own directory read-only at %s", task, TaskRoot)
	}
}
