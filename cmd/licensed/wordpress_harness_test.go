package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A real WordPress for end-to-end tests: Debian's wordpress package
// served by PHP's built-in server, a database of its own on the local
// MariaDB, a content directory of its own (with the example plugin copied
// in as a vendor would ship it), and a config file of its own under
// /etc/wordpress, picked per request by a router script. Nothing is shared
// with another run: parallel runs and the machine's own WordPress are left
// alone, and everything is removed when the test ends.

const (
	wordpressRoot = "/usr/share/wordpress"
	chromiumPath  = "/usr/bin/chromium"
)

// requireServices skips the test when what it needs is missing, or fails
// it when LICENSED_TEST_REQUIRE_SERVICES=1 (CI), which must have them.
func requireServices(t *testing.T, what string, missing []string) {
	t.Helper()
	if len(missing) == 0 {
		return
	}
	msg := fmt.Sprintf("%s needs %s (apt-get install php-cli php-mysql phpunit wordpress mariadb-server chromium; .ci/run does)", what, strings.Join(missing, ", "))
	if os.Getenv("LICENSED_TEST_REQUIRE_SERVICES") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

func wordpressMissing() []string {
	var missing []string
	for _, bin := range []string{"php", "mysql", "mysqladmin"} {
		if _, err := exec.LookPath(bin); err != nil {
			missing = append(missing, bin)
		}
	}
	for _, f := range []string{wordpressRoot + "/wp-load.php", chromiumPath, "/etc/wordpress"} {
		if _, err := os.Stat(f); err != nil {
			missing = append(missing, f)
		}
	}
	if len(missing) == 0 {
		if out, err := exec.Command("php", "-r", `echo extension_loaded("mysqli") && extension_loaded("sodium") ? "ok" : "no";`).Output(); err != nil || string(out) != "ok" {
			missing = append(missing, "PHP's mysqli and sodium extensions")
		}
		if err := exec.Command("mysqladmin", "-uroot", "--connect-timeout=2", "ping").Run(); err != nil {
			missing = append(missing, "a running MariaDB (mysqladmin -uroot ping)")
		}
	}
	return missing
}

// wordpress is one installed site.
type wordpress struct {
	url, configName, contentDir, dir string
	env                              []string
}

// wpOptions configure the site's wp-config constants beyond the database.
type wpOptions struct {
	constants map[string]string // name -> PHP literal
}

func randomName(prefix string) string {
	b := make([]byte, 6)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// startWordPress installs WordPress with the example plugin (copied with
// the licensed library, as a vendor ships it) and serves it.
func startWordPress(t *testing.T, o wpOptions, jwks []byte) *wordpress {
	t.Helper()
	dir := t.TempDir()
	wp := &wordpress{dir: dir, contentDir: filepath.Join(dir, "wp-content"), configName: randomName("licensed-test-")}
	for _, d := range []string{"plugins", "uploads"} {
		if err := os.MkdirAll(filepath.Join(wp.contentDir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(wordpressRoot+"/wp-content/themes", filepath.Join(wp.contentDir, "themes")); err != nil {
		t.Fatal(err)
	}
	plugin := filepath.Join(wp.contentDir, "plugins", "acme-pro")
	copyTree(t, "../../sdk/php/wordpress/example-plugin/acme-pro", plugin)
	copyTree(t, "../../sdk/php/src", filepath.Join(plugin, "licensed", "src"))
	copyTree(t, "../../sdk/php/wordpress", filepath.Join(plugin, "licensed", "wordpress"))
	os.RemoveAll(filepath.Join(plugin, "licensed", "wordpress", "example-plugin"))
	copyFile(t, "../../sdk/php/autoload.php", filepath.Join(plugin, "licensed", "autoload.php"))
	if err := os.WriteFile(filepath.Join(plugin, "jwks.json"), jwks, 0o644); err != nil {
		t.Fatal(err)
	}

	// A database and a user of this run's own.
	db, password := strings.ReplaceAll(randomName("licensed_wp_"), "-", "_"), randomName("pw")
	mysql(t, fmt.Sprintf("CREATE DATABASE %[1]s; CREATE USER '%[1]s'@'localhost' IDENTIFIED BY '%[2]s'; GRANT ALL ON %[1]s.* TO '%[1]s'@'localhost';", db, password))
	t.Cleanup(func() {
		mysql(t, fmt.Sprintf("DROP DATABASE IF EXISTS %[1]s; DROP USER IF EXISTS '%[1]s'@'localhost';", db))
	})

	port := freePort(t)
	wp.url = fmt.Sprintf("http://127.0.0.1:%d", port)
	var cfg strings.Builder
	cfg.WriteString("<?php\n// Written by licensed's end-to-end test; removed when it ends.\n")
	consts := map[string]string{
		"DB_NAME": phpString(db), "DB_USER": phpString(db), "DB_PASSWORD": phpString(password), "DB_HOST": phpString("localhost"),
		"WP_CONTENT_DIR": phpString(wp.contentDir), "WP_HOME": phpString(wp.url), "WP_SITEURL": phpString(wp.url),
		"DISABLE_WP_CRON": "true", "WP_DEBUG": "false", "AUTOMATIC_UPDATER_DISABLED": "true", "WP_HTTP_BLOCK_EXTERNAL": "false",
	}
	for _, salt := range []string{"AUTH_KEY", "SECURE_AUTH_KEY", "LOGGED_IN_KEY", "NONCE_KEY", "AUTH_SALT", "SECURE_AUTH_SALT", "LOGGED_IN_SALT", "NONCE_SALT"} {
		consts[salt] = phpString(randomName(""))
	}
	for k, v := range o.constants {
		consts[k] = v
	}
	for k, v := range consts {
		fmt.Fprintf(&cfg, "define(%s, %s);\n", phpString(k), v)
	}
	configFile := "/etc/wordpress/config-" + wp.configName + ".php"
	if err := os.WriteFile(configFile, []byte(cfg.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(configFile) })
	// Debian's wp-config.php picks /etc/wordpress/config-$WORDPRESS_CONFIG.php.
	router := filepath.Join(dir, "router.php")
	writeFile(t, router, fmt.Sprintf("<?php $_SERVER['WORDPRESS_CONFIG'] = %s; return false;\n", phpString(wp.configName)))
	wp.env = append(os.Environ(), "PHP_CLI_SERVER_WORKERS=4")

	wp.php(t, `
define('WP_INSTALLING', true);
require ABSPATH_LOAD;
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
$r = wp_install('Licensed e2e', 'admin', 'admin@licensed.test', true, '', 'admin-password');
if (is_wp_error($r)) { fwrite(STDERR, $r->get_error_message()); exit(1); }
`)
	wp.php(t, `
require ABSPATH_LOAD;
require_once ABSPATH . 'wp-admin/includes/plugin.php';
$r = activate_plugin('acme-pro/acme-pro.php');
if (is_wp_error($r)) { fwrite(STDERR, $r->get_error_message()); exit(1); }
echo implode(',', get_option('active_plugins'));
`)

	logs := &syncBuffer{}
	cmd := exec.Command("php", "-S", fmt.Sprintf("127.0.0.1:%d", port), "-t", wordpressRoot, router)
	cmd.Env, cmd.Stdout, cmd.Stderr, cmd.Dir = wp.env, logs, logs, dir
	// The server forks workers (PHP_CLI_SERVER_WORKERS) that share its
	// output: it gets a process group of its own, killed whole.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
		if t.Failed() {
			t.Logf("PHP server log:\n%s", tail(logs.String(), 4000))
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		res, err := http.Get(wp.url + "/wp-login.php")
		if err == nil {
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("WordPress does not answer at %s: %v\n%s", wp.url, err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return wp
}

// php runs code in the PHP CLI with WordPress loadable: ABSPATH_LOAD is
// wp-load.php, and the request looks like one to this site.
func (wp *wordpress) php(t *testing.T, code string) string {
	t.Helper()
	prelude := fmt.Sprintf("<?php\n$_SERVER['HTTP_HOST'] = %s; $_SERVER['SERVER_NAME'] = '127.0.0.1'; $_SERVER['REQUEST_URI'] = '/'; $_SERVER['WORDPRESS_CONFIG'] = %s;\nconst ABSPATH_LOAD = %s;\n",
		phpString(strings.TrimPrefix(wp.url, "http://")), phpString(wp.configName), phpString(wordpressRoot+"/wp-load.php"))
	script := filepath.Join(wp.dir, randomName("script-")+".php")
	writeFile(t, script, prelude+code)
	defer os.Remove(script)
	cmd := exec.Command("php", script)
	cmd.Env = wp.env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("php: %v\n%s", err, out)
	}
	return string(out)
}

func mysql(t *testing.T, sql string) {
	t.Helper()
	if out, err := exec.Command("mysql", "-uroot", "-e", sql).CombinedOutput(); err != nil {
		t.Fatalf("mysql: %v\n%s", err, out)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// phpString is s as a single-quoted PHP literal.
func phpString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, to, string(b))
}

func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(from, path)
		copyFile(t, path, filepath.Join(to, rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// runCron makes the plugin's refresh due now, as if its time had come,
// and runs WP-Cron the way a system cron job does (GET /wp-cron.php; the
// site sets DISABLE_WP_CRON, as production sites with real cron do).
func (wp *wordpress) runCron(t *testing.T, hook string) {
	t.Helper()
	out := wp.php(t, fmt.Sprintf(`
require ABSPATH_LOAD;
$hook = %s;
$at = wp_next_scheduled($hook);
if ($at === false) { fwrite(STDERR, "no refresh scheduled"); exit(1); }
wp_unschedule_event($at, $hook);
wp_schedule_single_event(time() - 1, $hook);
echo $at;
`, phpString(hook)))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, wp.url+"/wp-cron.php", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("wp-cron.php: %v", err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("wp-cron.php answered %d", res.StatusCode)
	}
	// The refresh reschedules itself into the future; an event still due
	// means WP-Cron did not run it.
	if got := wp.php(t, fmt.Sprintf(`require ABSPATH_LOAD; $n = wp_next_scheduled(%s); echo $n !== false && $n > time() ? 'ran' : 'pending';`, phpString(hook))); got != "ran" {
		t.Fatalf("WP-Cron did not run the refresh (was due at %s): %s", out, got)
	}
}
