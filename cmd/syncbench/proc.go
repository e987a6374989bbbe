package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// sim is a running sfsim process.
type sim struct {
	cmd  *exec.Cmd
	info struct {
		LoginURL     string `json:"login_url"`
		InstanceURL  string `json:"instance_url"`
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
		RefreshToken string `json:"refresh_token"`
	}
}

// startSim starts sfsim with n seeded contacts and waits for its startup line.
func startSim(ctx context.Context, bin string, n int) (*sim, error) {
	cmd := exec.CommandContext(ctx, bin, "-contacts", fmt.Sprint(n), "-seed", "1", "-api-limit", "100000000")
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start sfsim: %w", err)
	}
	s := &sim{cmd: cmd}
	line, err := bufio.NewReader(out).ReadBytes('\n')
	if err != nil {
		s.stop()
		return nil, fmt.Errorf("sfsim startup line: %w", err)
	}
	if err := json.Unmarshal(line, &s.info); err != nil {
		s.stop()
		return nil, fmt.Errorf("sfsim startup line %q: %w", line, err)
	}
	return s, nil
}

func (s *sim) stop() {
	_ = s.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
	}
}

// control sends a /__sim/ request and decodes the JSON answer into out.
func (s *sim) control(method, path, body string, out any) error {
	req, err := http.NewRequest(method, s.info.InstanceURL+"/__sim/"+path, strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s /__sim/%s: HTTP %d", method, path, resp.StatusCode)
	}
	if out == nil {
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

type simStats struct {
	APICalls   int            `json:"api_calls"`
	ByEndpoint map[string]int `json:"by_endpoint"`
}

func (s *sim) stats() (simStats, error) {
	var st simStats
	err := s.control(http.MethodGet, "stats", "", &st)
	return st, err
}

// summary is the part of a run summary the harness reads.
type summary struct {
	Pulled   int    `json:"pulled"`
	Created  int    `json:"created"`
	Linked   int    `json:"linked"`
	Updated  int    `json:"updated"`
	Skipped  int    `json:"skipped"`
	Pushed   int    `json:"pushed"`
	Failed   int    `json:"failed"`
	APICalls int    `json:"api_calls"`
	Error    string `json:"error"`
}

// measurement is one sync process's cost.
type measurement struct {
	Wall   time.Duration
	CPU    time.Duration
	MaxRSS int64 // bytes
	Sum    summary
}

// runSync runs one sync pass as a child process and measures it: wall
// time, user+system CPU and peak RSS from the child's rusage.
func runSync(ctx context.Context, argv []string, env []string) (measurement, error) {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	m := measurement{Wall: time.Since(start)}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok && ru != nil {
		m.CPU = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		m.MaxRSS = ru.Maxrss * 1024 // kilobytes on Linux
	}
	if err != nil {
		return m, fmt.Errorf("%s: %w\n%s", strings.Join(argv, " "), err, tail(stderr.String(), 2000))
	}
	// The summary is the last JSON line on stdout that has "pulled".
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.Contains(lines[i], `"pulled"`) && json.Unmarshal([]byte(lines[i]), &m.Sum) == nil {
			break
		}
	}
	if m.Sum.Error != "" {
		return m, fmt.Errorf("sync pass failed: %s", m.Sum.Error)
	}
	return m, nil
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
