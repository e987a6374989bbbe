package httpapi_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromiumPath finds a headless-capable Chromium. Debian's package is
// "chromium". Without it the browser test is skipped, loudly, except under CI
// (CI=true), where it fails.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("Chromium is required under CI: apt-get install -y chromium")
	}
	t.Skip("SKIPPING browser test: no Chromium found (apt-get install -y chromium)")
	return ""
}

// TestAdminPageInChromium loads the admin page in headless Chromium, signs
// in with the token, turns auto-create on and checks that the store has it.
func TestAdminPageInChromium(t *testing.T) {
	exe := chromiumPath(t)
	f := newFixture(t, storetestSQLite(t), fixtureOptions{contacts: 3})

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1200, 1000),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(t.Context(), opts...)
	defer cancelAlloc()
	ctx, cancelCtx := chromedp.NewContext(actx)
	defer cancelCtx()
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()

	err := chromedp.Do(ctx,
		chromedp.Navigate(f.ts.URL+"/admin/"),
		chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SendKeys(chromedp.ID("token"), testToken),
		chromedp.Submit(chromedp.ID("login")),
		chromedp.WaitVisible(chromedp.ID("toggle-auto_create")),
	)
	if err != nil {
		t.Fatalf("sign in: %v", err)
	}
	flag, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#toggle-auto_create .value")))
	if err != nil || flag != "off" {
		t.Fatalf("auto-create shows %q (%v) before the flip, want off", flag, err)
	}
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.ID("auto_create-on")),
		chromedp.WaitVisible(chromedp.ID("flash")),
	)
	if err != nil {
		t.Fatalf("flip auto-create: %v", err)
	}
	flash, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("flash")))
	if err != nil {
		t.Fatal(err)
	}
	flag, err = chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#toggle-auto_create .value")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(flash, "Settings saved") || flag != "on" {
		t.Errorf("after the flip: flash %q, auto-create shows %q", flash, flag)
	}
	w, err := f.st.Workspace(t.Context(), f.ws)
	if err != nil {
		t.Fatal(err)
	}
	if !w.Settings.AutoCreate {
		t.Fatal("auto-create flipped in the browser is not persisted in the store")
	}

	// Sync now, then the run shows up on the page.
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.ID("sync-now")),
		chromedp.WaitVisible(chromedp.ID("flash")),
	)
	if err != nil {
		t.Fatalf("sync now: %v", err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		runs, err := f.st.Runs(t.Context(), f.ws, 1)
		if err == nil && len(runs) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the sync started from the page did not run")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(f.ts.URL+"/admin/")); err != nil {
		t.Fatalf("reload: %v", err)
	}
	runsText, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("runs")))
	if err != nil {
		t.Fatal(err)
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(runsText, "No runs yet") {
		t.Errorf("runs section = %q", runsText)
	}
	if dir := os.Getenv("HTTPAPI_SCREENSHOT_DIR"); dir != "" {
		_ = os.WriteFile(filepath.Join(dir, "admin.png"), shot, 0o644)
	}
}
