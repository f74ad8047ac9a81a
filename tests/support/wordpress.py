"""A throwaway WordPress for the plug-in's end-to-end tests, from Debian's packages only.

MariaDB in a temporary directory, a copy of /usr/share/wordpress served by ``php -S`` (several
workers, so a webhook can arrive while a reader's request waits for its decision), installed
through its own install form, our plug-in symlinked in and activated through wp-admin. No
system service is started or touched. Recipe and pitfalls: ../shared/spec/wordpress-ci.md,
as recorded in docs/wordpress.md.
"""
from __future__ import annotations

import html
import os
import re
import secrets
import shutil
import signal
import subprocess
from pathlib import Path

import requests

from tests.support.polling import wait_until
from tests.support.ports import free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
PLUGIN_DIR = REPO_ROOT / "integrations" / "wordpress" / "comment-moderation"
WORDPRESS_SOURCE = Path("/usr/share/wordpress")
THEME = WORDPRESS_SOURCE / "wp-content" / "themes" / "twentytwentyone"
PROGRAMS = ("php", "mariadbd", "mariadb-install-db", "mariadb")
ADMIN_USER = "editor-in-chief"

# php -S has no rewrite rules: send what is not a file to index.php (pretty permalinks, /wp-json/).
ROUTER = """<?php
$path = parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH);
$file = $_SERVER['DOCUMENT_ROOT'] . $path;
if ($path !== '/' && (is_file($file) || is_file(rtrim($file, '/') . '/index.php'))) {
    return false;
}
$_SERVER['SCRIPT_NAME'] = '/index.php';
$_SERVER['PHP_SELF'] = '/index.php';
require $_SERVER['DOCUMENT_ROOT'] . '/index.php';
"""

# Test-only must-use plug-in: WordPress refuses a second comment from one IP within 15 s, and
# there is no mail server here.
MU_PLUGIN = """<?php
add_filter('wp_is_comment_flood', '__return_false', 99);
add_filter('pre_wp_mail', '__return_false');
"""


def missing_programs() -> list[str]:
    missing = [name for name in PROGRAMS if shutil.which(name) is None and not Path("/usr/sbin", name).exists()]
    if not (WORDPRESS_SOURCE / "wp-settings.php").exists():
        missing.append("wordpress")
    if not THEME.exists():
        missing.append("wordpress-theme-twentytwentyone")
    return missing


def _program(name: str) -> str:
    return shutil.which(name) or str(Path("/usr/sbin", name))


class MariaDB:
    def __init__(self, directory: Path):
        self.directory = directory
        self.datadir = directory / "data"
        self.socket = directory / "mariadb.sock"
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.log_path = directory / "mariadb.log"

    def start(self) -> "MariaDB":
        # --force: without it the installer fails where /etc/hosts lacks this host's name.
        subprocess.run([_program("mariadb-install-db"), "--no-defaults", "--user=root", f"--datadir={self.datadir}",
                        "--auth-root-authentication-method=normal", "--skip-test-db", "--skip-name-resolve",
                        "--force"], check=True, capture_output=True, timeout=120)
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [_program("mariadbd"), "--no-defaults", "--user=root", f"--datadir={self.datadir}",
                 f"--socket={self.socket}", f"--port={self.port}", "--bind-address=127.0.0.1",
                 "--skip-name-resolve", "--skip-log-bin", f"--pid-file={self.directory / 'mariadb.pid'}"],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        wait_until(self._ready, 60, interval=0.2, message=f"mariadbd:\n{self.log()}")
        self.sql("CREATE DATABASE wordpress CHARACTER SET utf8mb4; "
                 "CREATE USER 'wp'@'127.0.0.1' IDENTIFIED BY 'wp'; "
                 "GRANT ALL ON wordpress.* TO 'wp'@'127.0.0.1';", database="")
        return self

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"mariadbd exited ({self.process.returncode}):\n{self.log()}")
        return subprocess.run([_program("mariadb"), "--no-defaults", f"--socket={self.socket}", "-uroot",
                               "-e", "SELECT 1"], capture_output=True).returncode == 0

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:] if self.log_path.exists() else ""

    def sql(self, statement: str, database: str = "wordpress") -> list[list[str]]:
        """Runs SQL as root; the rows of the last result, as lists of strings."""
        command = [_program("mariadb"), "--no-defaults", f"--socket={self.socket}", "-uroot", "-N", "-B",
                   "-e", statement] + ([database] if database else [])
        result = subprocess.run(command, capture_output=True, text=True, timeout=30)
        if result.returncode != 0:
            raise AssertionError(f"SQL failed: {statement}\n{result.stderr}")
        return [line.split("\t") for line in result.stdout.splitlines()]

    def stop(self) -> None:
        _stop_group(self.process)


class WordPress:
    """WordPress on http://127.0.0.1:<port>, installed, with an administrator logged in
    (``self.admin``, a requests session) and our plug-in active."""

    def __init__(self, directory: Path, database: MariaDB):
        self.directory = directory
        self.docroot = directory / "wordpress"
        self.database = database
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.password = secrets.token_urlsafe(12)
        self.process: subprocess.Popen | None = None
        self.log_path = directory / "php.log"
        self.debug_log = directory / "wp-debug.log"
        self.admin = requests.Session()

    def start(self) -> "WordPress":
        shutil.copytree(WORDPRESS_SOURCE, self.docroot, symlinks=True)
        (self.docroot / ".htaccess").unlink(missing_ok=True)  # a link into /etc/wordpress
        (self.docroot / "wp-config.php").write_text(self._config())
        (self.directory / "router.php").write_text(ROUTER)
        mu_plugins = self.docroot / "wp-content" / "mu-plugins"
        mu_plugins.mkdir(parents=True, exist_ok=True)
        (mu_plugins / "test-only.php").write_text(MU_PLUGIN)
        (self.docroot / "wp-content" / "plugins" / PLUGIN_DIR.name).symlink_to(PLUGIN_DIR)
        env = {**os.environ, "PHP_CLI_SERVER_WORKERS": "4"}
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [_program("php"), "-S", f"127.0.0.1:{self.port}", "-t", str(self.docroot),
                 str(self.directory / "router.php")],
                cwd=self.docroot, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        wait_until(self._listening, 30, interval=0.1, message=f"php -S on {self.port}")
        self._install()
        self._log_in()
        self.activate_plugin("comment-moderation/comment-moderation.php")
        return self

    def _config(self) -> str:
        salts = "\n".join(f"define('{name}', '{secrets.token_hex(32)}');" for name in (
            "AUTH_KEY", "SECURE_AUTH_KEY", "LOGGED_IN_KEY", "NONCE_KEY",
            "AUTH_SALT", "SECURE_AUTH_SALT", "LOGGED_IN_SALT", "NONCE_SALT"))
        return f"""<?php
define('DB_NAME', 'wordpress');
define('DB_USER', 'wp');
define('DB_PASSWORD', 'wp');
define('DB_HOST', '127.0.0.1:{self.database.port}');
define('DB_CHARSET', 'utf8mb4');
define('DB_COLLATE', '');
{salts}
$table_prefix = 'wp_';
define('WP_HOME', '{self.url}');
define('WP_SITEURL', '{self.url}');
define('DISABLE_WP_CRON', true);
define('AUTOMATIC_UPDATER_DISABLED', true);
// Calls to wordpress.org fail at once instead of timing out; 127.0.0.1 (the site's own host,
// where the moderation service runs in these tests) stays reachable.
define('WP_HTTP_BLOCK_EXTERNAL', true);
define('WP_DEBUG', true);
define('WP_DEBUG_LOG', '{self.debug_log}');
define('WP_DEBUG_DISPLAY', false);
if (!defined('ABSPATH')) {{ define('ABSPATH', __DIR__ . '/'); }}
require_once ABSPATH . 'wp-settings.php';
"""

    def _listening(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"php -S exited:\n{self.log()}")
        try:
            requests.get(f"{self.url}/readme.html", timeout=2)
            return True
        except requests.ConnectionError:
            return False

    def _install(self) -> None:
        reply = requests.post(f"{self.url}/wp-admin/install.php?step=2", timeout=120, data={
            "weblog_title": "The Daily Test", "user_name": ADMIN_USER, "admin_password": self.password,
            "admin_password2": self.password, "pw_weak": "1", "admin_email": "editor@news.example",
            "blog_public": "0", "language": ""})
        assert reply.status_code == 200 and "Success!" in reply.text, reply.text[-2000:]

    def _log_in(self) -> None:
        self.admin.get(f"{self.url}/wp-login.php", timeout=30)  # sets the test cookie
        reply = self.admin.post(f"{self.url}/wp-login.php", timeout=30, data={
            "log": ADMIN_USER, "pwd": self.password, "wp-submit": "Log In", "testcookie": "1",
            "redirect_to": f"{self.url}/wp-admin/"})
        assert reply.status_code == 200 and "wp-admin" in reply.url and "Dashboard" in reply.text, reply.url

    def activate_plugin(self, plugin: str) -> None:
        page = self.admin.get(f"{self.url}/wp-admin/plugins.php", timeout=30).text
        links = [html.unescape(href) for href in re.findall(r'href="(plugins\.php\?action=activate[^"]+)"', page)]
        link = next(href for href in links if f"plugin={requests.utils.quote(plugin, safe='')}" in href)
        reply = self.admin.get(f"{self.url}/wp-admin/{link}", timeout=30)
        assert reply.status_code == 200 and "Plugin activated." in reply.text, reply.text[-2000:]

    def form(self, path: str) -> dict[str, str]:
        """The hidden fields (nonce, referer, option page) of the first form on an admin page."""
        page = self.admin.get(f"{self.url}{path}", timeout=30).text
        fields = {}
        for tag in re.findall(r"<input[^>]*type=[\"']hidden[\"'][^>]*>", page):
            name = re.search(r"name=[\"']([^\"']+)[\"']", tag)
            value = re.search(r"value=[\"']([^\"']*)[\"']", tag)
            if name:
                fields.setdefault(html.unescape(name.group(1)), html.unescape(value.group(1)) if value else "")
        return fields

    def options(self, name: str) -> str:
        rows = self.database.sql(f"SELECT option_value FROM wp_options WHERE option_name = '{name}'")
        return rows[0][0] if rows else ""

    def comment(self, comment_id: int) -> dict[str, str]:
        """The comment's row (comment_approved is '1', '0', 'spam' or 'trash') and its meta."""
        rows = self.database.sql(
            f"SELECT comment_approved, comment_author, comment_content FROM wp_comments WHERE comment_ID = {int(comment_id)}")
        if not rows:
            return {}
        row = dict(zip(("comment_approved", "comment_author", "comment_content"), rows[0]))
        for key, value in self.database.sql(
                f"SELECT meta_key, meta_value FROM wp_commentmeta WHERE comment_id = {int(comment_id)}"):
            row[key] = value
        return row

    def comment_id_by_content(self, text: str) -> int:
        escaped = text.replace("\\", "\\\\").replace("'", "\\'")
        rows = self.database.sql(f"SELECT comment_ID FROM wp_comments WHERE comment_content LIKE '%{escaped}%' "
                                 "ORDER BY comment_ID DESC LIMIT 1")
        return int(rows[0][0]) if rows else 0

    def run_php(self, code: str, before: str = "") -> str:
        """Runs PHP inside this WordPress from the command line (what ``wp eval`` would do);
        ``before`` runs before WordPress loads (to define a constant as wp-config.php would)."""
        script = ("$_SERVER['HTTP_HOST'] = '127.0.0.1:%d'; define('WP_USE_THEMES', false); %s "
                  "require 'wp-load.php'; %s" % (self.port, before, code))
        result = subprocess.run([_program("php"), "-r", script], cwd=self.docroot, capture_output=True,
                                text=True, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:] if self.log_path.exists() else ""

    def plugin_problems(self) -> list[str]:
        """PHP errors, warnings and notices raised in our plug-in's files (WordPress's own
        deprecation notices under PHP 8.2 are not ours)."""
        text = self.debug_log.read_text(errors="replace") if self.debug_log.exists() else ""
        return [line for line in text.splitlines() if PLUGIN_DIR.name + "/" in line and "PHP " in line]

    def stop(self) -> None:
        _stop_group(self.process)


def _stop_group(process: subprocess.Popen | None) -> None:
    """Stops a server started in its own session: php -S workers outlive their parent, so the
    whole process group goes (SIGTERM, then SIGKILL for anything left)."""
    if process is None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(timeout=15)
